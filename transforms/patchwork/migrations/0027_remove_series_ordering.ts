import type { PatchworkMigration } from '../migration.js';

/** Series loses its default ordering: model options only, nothing in the database. */
export const migration: PatchworkMigration = {
  name: '0027_remove_series_ordering',
  plan() {},
};
