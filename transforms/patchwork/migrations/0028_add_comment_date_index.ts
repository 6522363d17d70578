import type { PatchworkMigration } from '../migration.js';

/** A named index for a submission's comments in date order. */
export const migration: PatchworkMigration = {
  name: '0028_add_comment_date_index',
  plan(b) {
    b.addNamedIndex('patchwork_comment', 'submission_date_idx', ['submission_id', 'date']);
  },
};
