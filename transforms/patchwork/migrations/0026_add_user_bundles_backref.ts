import type { PatchworkMigration } from '../migration.js';

/** related_name only. No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0026_add_user_bundles_backref',
  plan() {},
};
