import type { PatchworkMigration } from '../migration.js';

/**
 * Cover letters leave the submission hierarchy: Cover and CoverComment are new tables, each cover
 * letter is copied into Cover under its submission id, its comments into CoverComment under their
 * comment ids, the FKs that pointed at CoverLetter now point at Cover, those comments leave
 * patchwork_comment, CoverLetter is dropped, and Comment (now only patch comments) becomes
 * PatchComment with its `submission` column renamed `patch`. The cover letters' submission rows
 * stay (0043 keeps them in the merged patch table, as Django does).
 *
 * Django's order is kept: the new tables' FKs run last (deferred); the named indexes and
 * unique_together at once. Every data move is batched and each batch is one key range, so a
 * resumed run continues after its last committed batch; the delete runs only after both copies.
 */
export const migration: PatchworkMigration = {
  name: '0042_add_cover_model',
  plan(b) {
    const mail: Array<[string, string]> = [
      ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
      ['msgid', 'varchar(255) NOT NULL'],
      ['date', 'datetime(6) NOT NULL'],
      ['headers', 'longtext NOT NULL'],
      ['content', 'longtext NULL'],
    ];
    b.createModel(
      'patchwork_cover',
      [...mail, ['name', 'varchar(255) NOT NULL'], ['project_id', 'integer NOT NULL'], ['submitter_id', 'integer NOT NULL']],
      { primaryKey: ['id'] },
    );
    b.addNamedIndex('patchwork_cover', 'cover_covering_idx', ['date', 'project_id', 'submitter_id', 'name']);
    b.addUnique('patchwork_cover', ['msgid', 'project_id']);
    b.createModel('patchwork_covercomment', [...mail, ['cover_id', 'integer NOT NULL'], ['submitter_id', 'integer NOT NULL']], { primaryKey: ['id'] });
    b.addNamedIndex('patchwork_covercomment', 'cover_date_idx', ['cover_id', 'date']);
    b.addUnique('patchwork_covercomment', ['msgid', 'cover_id']);

    b.batched(
      'copy-covers',
      'patchwork_cover ← every cover letter, under its submission id',
      'copy',
      { table: 'patchwork_coverletter', alias: 'c', key: ['submission_ptr_id'] },
      'patchwork_cover',
      `INSERT INTO patchwork_cover (id, msgid, name, date, headers, project_id, submitter_id, content)
       SELECT s.id, s.msgid, s.name, s.date, s.headers, s.project_id, s.submitter_id, s.content
         FROM patchwork_coverletter c JOIN patchwork_submission s ON s.id = c.submission_ptr_id WHERE {range}`,
    );
    b.batched(
      'copy-cover-comments',
      "patchwork_covercomment ← every cover letter's comments, under their comment ids",
      'copy',
      { table: 'patchwork_comment', alias: 'c', key: ['id'] },
      'patchwork_covercomment',
      `INSERT INTO patchwork_covercomment (id, msgid, date, headers, content, cover_id, submitter_id)
       SELECT c.id, c.msgid, c.date, c.headers, c.content, c.submission_id, c.submitter_id
         FROM patchwork_comment c JOIN patchwork_coverletter p ON p.submission_ptr_id = c.submission_id WHERE {range}`,
    );

    b.repointForeignKey('patchwork_event', 'cover_id', 'patchwork_cover', 'id');
    b.repointForeignKey('patchwork_series', 'cover_letter_id', 'patchwork_cover', 'id');

    b.batched(
      'delete-cover-comments',
      "delete the cover letters' comments from patchwork_comment (they are in patchwork_covercomment now)",
      'delete',
      { table: 'patchwork_comment', alias: 'c', key: ['id'] },
      'patchwork_comment',
      'DELETE c FROM patchwork_comment c JOIN patchwork_coverletter p ON p.submission_ptr_id = c.submission_id WHERE {range}',
    );
    b.dropTable('patchwork_coverletter');

    // comment.submission → comment.patch, around Django bug #31335: the FK goes (db_constraint=False),
    // the date index goes, the column is renamed, the new date index comes, the FK comes back.
    // unique_together (msgid, patch) is what the rename made of (msgid, submission): no statement.
    b.dropForeignKeyOn('patchwork_comment', 'submission_id');
    b.removeNamedIndex('patchwork_comment', 'submission_date_idx');
    b.changeColumn('patchwork_comment', 'submission_id', 'patch_id', 'integer NOT NULL');
    b.addNamedIndex('patchwork_comment', 'patch_date_idx', ['patch_id', 'date']);
    b.addForeignKey('patchwork_comment', 'patch_id', 'patchwork_submission', 'id');
    // RenameModel: no FK points at Comment yet (0046 adds them), so the table rename is all.
    b.renameTable('patchwork_comment', 'patchwork_patchcomment');

    // The CreateModels' FKs, deferred to the end of the migration, in the order Django queued them.
    b.addForeignKey('patchwork_cover', 'project_id', 'patchwork_project', 'id');
    b.addForeignKey('patchwork_cover', 'submitter_id', 'patchwork_person', 'id');
    b.addForeignKey('patchwork_covercomment', 'cover_id', 'patchwork_cover', 'id');
    b.addForeignKey('patchwork_covercomment', 'submitter_id', 'patchwork_person', 'id');
  },
};
