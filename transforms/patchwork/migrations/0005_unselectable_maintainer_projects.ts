import type { PatchworkMigration } from '../migration.js';

/** Makes maintainer_projects blank=True (a form option). No database change: recorded only. */
export const migration: PatchworkMigration = {
  name: '0005_unselectable_maintainer_projects',
  plan() {},
};
