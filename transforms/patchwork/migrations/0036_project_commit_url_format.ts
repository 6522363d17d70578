import type { PatchworkMigration } from '../migration.js';

/** project.commit_url_format (the commit URL format): Django adds a NOT NULL CharField with '' for existing rows, then drops the default. */
export const migration: PatchworkMigration = {
  name: '0036_project_commit_url_format',
  plan(b) {
    b.addColumn('patchwork_project', 'commit_url_format', "varchar(2000) DEFAULT '' NOT NULL");
    b.dropDefault('patchwork_project', 'commit_url_format');
  },
};
