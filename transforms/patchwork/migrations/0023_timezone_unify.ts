import type { PatchworkMigration } from '../migration.js';

/** Python-side defaults (utcnow) only: Django keeps no column defaults. No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0023_timezone_unify',
  plan() {},
};
