import type { PatchworkMigration } from '../migration.js';

/** The submission list's covering index. */
export const migration: PatchworkMigration = {
  name: '0030_add_submission_covering_index',
  plan(b) {
    b.addNamedIndex('patchwork_submission', 'submission_covering_idx', ['date', 'project_id', 'submitter_id', 'name']);
  },
};
