import type { PatchworkMigration } from '../migration.js';

/** Events for new comments: two FKs, each with its column. The category's new choices are Python only. */
export const migration: PatchworkMigration = {
  name: '0046_patch_comment_events',
  plan(b) {
    b.addColumn('patchwork_event', 'cover_comment_id', 'integer NULL');
    b.addForeignKey('patchwork_event', 'cover_comment_id', 'patchwork_covercomment', 'id');
    b.addColumn('patchwork_event', 'patch_comment_id', 'integer NULL');
    b.addForeignKey('patchwork_event', 'patch_comment_id', 'patchwork_patchcomment', 'id');
  },
};
