import type { PatchworkMigration } from '../migration.js';

/** Drops userprofile.primary_project (and with it the CASCADE that deleted profiles with a project). */
export const migration: PatchworkMigration = {
  name: '0014_remove_userprofile_primary_project',
  plan(b) {
    b.dropForeignKeyOn('patchwork_userprofile', 'primary_project_id');
    b.dropColumn('patchwork_userprofile', 'primary_project_id');
  },
};
