import type { PatchworkMigration } from '../migration.js';

/** project.list_archive_url_format (the archive's Message-ID redirector format): Django adds a NOT NULL CharField with '' for existing rows, then drops the default. */
export const migration: PatchworkMigration = {
  name: '0035_project_list_archive_url_format',
  plan(b) {
    b.addColumn('patchwork_project', 'list_archive_url_format', "varchar(2000) DEFAULT '' NOT NULL");
    b.dropDefault('patchwork_project', 'list_archive_url_format');
  },
};
