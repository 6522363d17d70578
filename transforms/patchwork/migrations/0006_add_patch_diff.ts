import type { PatchworkMigration } from '../migration.js';

/** Patch.content becomes Patch.diff; a new Patch.content will hold the mail body (0007). */
export const migration: PatchworkMigration = {
  name: '0006_add_patch_diff',
  plan(b) {
    b.changeColumn('patchwork_patch', 'content', 'diff', 'longtext NULL');
    b.addColumn('patchwork_patch', 'content', 'longtext NULL');
    // The AlterField on comment.patch changes related names only: Django 3.2 emits nothing.
  },
};
