import type { PatchworkMigration } from '../migration.js';

/** The Patch fields Submission takes over, in Django's AddField order, with their column definitions. */
const FIELDS: Array<{ column: string; def: string; fk?: [string, string] }> = [
  { column: 'archived', def: 'bool DEFAULT 0 NOT NULL' },
  { column: 'commit_ref', def: 'varchar(255) NULL' },
  { column: 'delegate_id', def: 'integer NULL', fk: ['auth_user', 'id'] },
  { column: 'diff', def: 'longtext NULL' },
  { column: 'hash', def: 'char(40) NULL' },
  { column: 'number', def: 'smallint UNSIGNED NULL CHECK (`number` >= 0)' },
  { column: 'pull_url', def: 'varchar(255) NULL' },
  { column: 'related_id', def: 'integer NULL', fk: ['patchwork_patchrelation', 'id'] },
  { column: 'series_id', def: 'integer NULL', fk: ['patchwork_series', 'id'] },
  { column: 'state_id', def: 'integer NULL', fk: ['patchwork_state', 'id'] },
];

/** Tables whose patch FK follows Patch into Submission and then, by the RenameModel, into the new patchwork_patch. */
const PATCH_REFS = ['patchwork_patchtag', 'patchwork_bundlepatch', 'patchwork_check', 'patchwork_patchchangenotification'];

/**
 * Patch is merged back into Submission, which then takes the name patchwork_patch: every FK to
 * Patch moves to Submission, Submission gains Patch's fields, each patch's values are copied into
 * its submission row (batched by patch id: a batch writes only its own rows, the same values if
 * re-run), the unique (series, number) and the covering index move, Patch is dropped and
 * Submission is renamed. Cover letters' submission rows stay, with the patch fields empty, as
 * Django leaves them.
 *
 * Django first renames every Patch column to `*2`, drops Patch's indexes, FKs and columns one by
 * one (each a rebuild of the biggest table) and then drops the table; drydock reads the columns
 * under their old names and drops the table at once: the same schema and rows.
 *
 * The RenameModel re-points the FKs of related models that have a reverse accessor (Django's
 * related_objects); event.patch (related_name '+') is not among them and keeps its
 * `..._fk_patchwork_submission_id` name, as in Django's result.
 */
export const migration: PatchworkMigration = {
  name: '0043_merge_patch_submission',
  plan(b) {
    for (const t of PATCH_REFS) b.repointForeignKey(t, 'patch_id', 'patchwork_submission', 'id');
    b.repointForeignKey('patchwork_event', 'patch_id', 'patchwork_submission', 'id');

    const s = 'patchwork_submission';
    for (const f of FIELDS) {
      b.addColumn(s, f.column, f.def);
      if (f.column === 'archived') b.dropDefault(s, f.column);
      if (f.fk) b.addForeignKey(s, f.column, f.fk[0], f.fk[1]);
    }
    const cols = FIELDS.map((f) => f.column);
    b.batched(
      'copy-patch-fields',
      "submission ← its patch's fields (archived, commit_ref, delegate, diff, hash, number, pull_url, related, series, state)",
      'update',
      { table: 'patchwork_patch', alias: 'p', key: ['submission_ptr_id'] },
      s,
      `UPDATE ${s} s JOIN patchwork_patch p ON p.submission_ptr_id = s.id SET ${cols.map((c) => `s.\`${c}\` = p.\`${c}\``).join(', ')} WHERE {range}`,
    );
    b.addUnique(s, ['series_id', 'number']);
    b.removeNamedIndex(s, 'submission_covering_idx');
    b.addNamedIndex(s, 'patch_covering_idx', ['archived', 'state_id', 'delegate_id', 'date', 'project_id', 'submitter_id', 'name']);

    b.dropTable('patchwork_patch');
    b.renameTable(s, 'patchwork_patch');
    for (const t of [...PATCH_REFS, 'patchwork_patchcomment']) b.repointForeignKey(t, 'patch_id', 'patchwork_patch', 'id');
  },
};
