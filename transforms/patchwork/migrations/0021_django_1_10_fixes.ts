import type { PatchworkMigration } from '../migration.js';

/** Model options (ordering, base_manager_name) only. No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0021_django_1_10_fixes',
  plan() {},
};
