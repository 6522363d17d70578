import type { PatchworkMigration } from '../migration.js';

/**
 * patch.patch_project: a copy of the submission's project on the patch row, for the list query.
 * Django adds the column NULL, fills it, makes it NOT NULL (a rebuild of the biggest table) and
 * adds the FK last (deferred). Here the column arrives NOT NULL with a placeholder default (an
 * instant change), is filled in batches, and loses the default: the same column, one rebuild less.
 */
export const migration: PatchworkMigration = {
  name: '0024_patch_patch_project',
  plan(b) {
    b.addColumn('patchwork_patch', 'patch_project_id', 'integer DEFAULT 0 NOT NULL');
    b.batched(
      'fill-patch-project',
      "patch.patch_project ← the submission's project",
      'update',
      { table: 'patchwork_patch', alias: 'p', key: ['submission_ptr_id'] },
      'patchwork_patch',
      'UPDATE patchwork_patch p JOIN patchwork_submission s ON s.id = p.submission_ptr_id SET p.patch_project_id = s.project_id WHERE {range}',
    );
    b.dropDefault('patchwork_patch', 'patch_project_id');
    b.addForeignKey('patchwork_patch', 'patch_project_id', 'patchwork_project', 'id');
  },
};
