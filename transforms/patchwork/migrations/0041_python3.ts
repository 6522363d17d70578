import type { PatchworkMigration } from '../migration.js';

/** Byte strings become text strings in field options: state only (SeparateDatabaseAndState), nothing in the database. */
export const migration: PatchworkMigration = {
  name: '0041_python3',
  plan() {},
};
