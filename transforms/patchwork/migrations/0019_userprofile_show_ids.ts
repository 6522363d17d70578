import type { PatchworkMigration } from '../migration.js';

/** userprofile.show_ids, false for everyone. Adding a column with a default is instant, so no batching. */
export const migration: PatchworkMigration = {
  name: '0019_userprofile_show_ids',
  plan(b) {
    b.addColumn('patchwork_userprofile', 'show_ids', 'bool DEFAULT 0 NOT NULL');
    b.dropDefault('patchwork_userprofile', 'show_ids');
  },
};
