import type { PatchworkMigration } from '../migration.js';

/** A validator on project.linkname: Python only, nothing in the database. */
export const migration: PatchworkMigration = {
  name: '0044_add_project_linkname_validation',
  plan() {},
};
