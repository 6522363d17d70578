import type { PatchworkMigration } from '../migration.js';

/** Validators only. No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0025_add_regex_validators',
  plan() {},
};
