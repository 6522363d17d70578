import type { PatchworkMigration } from '../migration.js';

/** Help texts only. No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0017_improved_delegation_rule_docs',
  plan() {},
};
