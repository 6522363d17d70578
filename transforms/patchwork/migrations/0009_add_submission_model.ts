import type { PatchworkMigration } from '../migration.js';

/**
 * Patch is renamed Submission, and a new Patch (a multi-table child of Submission) is created
 * with temporary `*2` columns that 0010 fills and 0011 renames.
 */
export const migration: PatchworkMigration = {
  name: '0009_add_submission_model',
  plan(b) {
    const s = b.state;
    // RenameModel: the table, then every FK that pointed at it is dropped and re-added under the
    // name Django derives from the new target (the constraint names are looked up, not assumed).
    const pointing = s.referencing('patchwork_patch').map((r) => ({ table: r.table, column: r.fk.columns[0] ?? '' }));
    b.renameTable('patchwork_patch', 'patchwork_submission');
    for (const { table, column } of pointing) {
      // comment.patch is renamed right below, and Django re-creates its FK there once more: going
      // straight to the final constraint leaves the same schema with one rebuild of the big table less.
      if (table === 'patchwork_comment' && column === 'patch_id') continue;
      b.repointForeignKey(table, column, 'patchwork_submission', 'id');
    }

    // RenameField comment.patch → submission: drop the FK, rename the column, add the FK back.
    b.dropForeignKeyOn('patchwork_comment', 'patch_id');
    b.changeColumn('patchwork_comment', 'patch_id', 'submission_id', 'integer NOT NULL');
    b.addForeignKey('patchwork_comment', 'submission_id', 'patchwork_submission', 'id');
    // AlterUniqueTogether (msgid, submission) is what the rename already made of (msgid, patch).

    // RenameField userprofile.patches_per_page → items_per_page. Django re-declares the column's
    // inline check and, because the check's text changed, also adds a named one.
    b.changeColumn('patchwork_userprofile', 'patches_per_page', 'items_per_page', 'integer UNSIGNED NOT NULL CHECK (`items_per_page` >= 0)');
    b.addCheck('patchwork_userprofile', 'items_per_page', '`items_per_page` >= 0');

    b.createModel(
      'patchwork_patch',
      [
        ['submission_ptr_id', 'integer NOT NULL PRIMARY KEY'],
        ['diff2', 'longtext NULL'],
        ['commit_ref2', 'varchar(255) NULL'],
        ['pull_url2', 'varchar(255) NULL'],
        ['delegate2_id', 'integer NULL'],
        // NOT NULL although 1.0 allowed NULL states: the 0010 trap, refused or mapped at plan time.
        ['state2_id', 'integer NOT NULL'],
        ['archived2', 'bool NOT NULL'],
        ['hash2', 'char(40) NULL'],
      ],
      { primaryKey: ['submission_ptr_id'] },
    );
    b.addForeignKey('patchwork_patch', 'submission_ptr_id', 'patchwork_submission', 'id');
    b.addForeignKey('patchwork_patch', 'delegate2_id', 'auth_user', 'id');
    b.addForeignKey('patchwork_patch', 'state2_id', 'patchwork_state', 'id');
  },
};
