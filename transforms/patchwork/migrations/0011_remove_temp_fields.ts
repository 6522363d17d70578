import type { PatchworkMigration } from '../migration.js';

/**
 * The patch fields leave Submission, and Patch's temporary `*2` columns take their names; then
 * every FK to a patch points at patchwork_patch instead of patchwork_submission.
 * Order matters: Submission's FK on delegate_id / state_id carries the very constraint name the
 * renamed Patch column gets, so it must be gone first (as in Django's operation order).
 */
export const migration: PatchworkMigration = {
  name: '0011_remove_temp_fields',
  plan(b) {
    const sub = 'patchwork_submission';
    const patch = 'patchwork_patch';
    const plain: Array<[string, string]> = [
      ['diff', 'longtext NULL'],
      ['commit_ref', 'varchar(255) NULL'],
      ['pull_url', 'varchar(255) NULL'],
    ];
    for (const [col, def] of plain) {
      b.dropColumn(sub, col);
      b.changeColumn(patch, `${col}2`, col, def);
    }
    // tags / tags2 are many-to-many through PatchTag: nothing in the database.

    b.dropForeignKeyOn(sub, 'delegate_id');
    b.dropColumn(sub, 'delegate_id');
    b.dropForeignKeyOn(patch, 'delegate2_id');
    b.changeColumn(patch, 'delegate2_id', 'delegate_id', 'integer NULL');
    b.addForeignKey(patch, 'delegate_id', 'auth_user', 'id');

    b.dropForeignKeyOn(sub, 'state_id');
    b.dropColumn(sub, 'state_id');
    // RenameField state2 → state, then AlterField state null=True: Django drops and re-adds the FK
    // twice under the same name; once gives the same schema.
    b.dropForeignKeyOn(patch, 'state2_id');
    b.changeColumn(patch, 'state2_id', 'state_id', 'integer NULL');
    b.addForeignKey(patch, 'state_id', 'patchwork_state', 'id');

    b.dropColumn(sub, 'archived');
    b.changeColumn(patch, 'archived2', 'archived', 'bool NOT NULL');
    b.dropColumn(sub, 'hash');
    b.changeColumn(patch, 'hash2', 'hash', 'char(40) NULL');

    // The FKs to a patch now target Patch (its key is submission_ptr_id).
    for (const [table, column] of [
      ['patchwork_bundlepatch', 'patch_id'],
      ['patchwork_check', 'patch_id'],
      ['patchwork_patchchangenotification', 'patch_id'],
      ['patchwork_patchtag', 'patch_id'],
    ] as const) {
      b.repointForeignKey(table, column, patch, 'submission_ptr_id');
    }
  },
};
