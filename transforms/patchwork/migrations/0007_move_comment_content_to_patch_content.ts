import type { PatchworkMigration } from '../migration.js';

/**
 * The patch's own mail body lived in the comment that has the patch's msgid: copy it into
 * patch.content, then delete those comments. Both are batched; both are idempotent, so a resumed
 * run is consistent. The delete runs only after every patch has its body (steps run in order).
 */
export const migration: PatchworkMigration = {
  name: '0007_move_comment_content_to_patch_content',
  plan(b) {
    b.batched(
      'copy-body',
      "patch.content ← the body of the comment with the patch's msgid",
      'update',
      { table: 'patchwork_patch', alias: 'p', key: ['id'] },
      'patchwork_patch',
      'UPDATE patchwork_patch p JOIN patchwork_comment c ON c.patch_id = p.id AND c.msgid = p.msgid SET p.content = c.content WHERE {range}',
    );
    b.batched(
      'delete-body-comments',
      'delete the comments that were patch bodies',
      'delete',
      { table: 'patchwork_comment', alias: 'c', key: ['id'] },
      'patchwork_comment',
      'DELETE c FROM patchwork_comment c JOIN patchwork_patch p ON p.id = c.patch_id AND p.msgid = c.msgid WHERE {range}',
    );
  },
};
