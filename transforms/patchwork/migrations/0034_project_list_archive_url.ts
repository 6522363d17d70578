import type { PatchworkMigration } from '../migration.js';

/** project.list_archive_url (the mailing-list archive URL): Django adds a NOT NULL CharField with '' for existing rows, then drops the default. */
export const migration: PatchworkMigration = {
  name: '0034_project_list_archive_url',
  plan(b) {
    b.addColumn('patchwork_project', 'list_archive_url', "varchar(2000) DEFAULT '' NOT NULL");
    b.dropDefault('patchwork_project', 'list_archive_url');
  },
};
