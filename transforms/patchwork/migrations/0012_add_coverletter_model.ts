import type { PatchworkMigration } from '../migration.js';

/** CoverLetter: another child of Submission, empty on arrival from 1.0. */
export const migration: PatchworkMigration = {
  name: '0012_add_coverletter_model',
  plan(b) {
    b.createModel('patchwork_coverletter', [['submission_ptr_id', 'integer NOT NULL PRIMARY KEY']], { primaryKey: ['submission_ptr_id'] });
    b.addForeignKey('patchwork_coverletter', 'submission_ptr_id', 'patchwork_submission', 'id');
  },
};
