import type { PatchworkMigration } from '../migration.js';

/**
 * Series gets a project: the cover letter's, else its first patch's (Patchwork's RunPython, here
 * two batched updates). A 1.0 database has no series yet, so these touch nothing there.
 */
export const migration: PatchworkMigration = {
  name: '0016_series_project',
  plan(b) {
    b.addColumn('patchwork_series', 'project_id', 'integer NULL');
    b.addForeignKey('patchwork_series', 'project_id', 'patchwork_project', 'id');
    b.batched(
      'project-from-cover',
      "series.project ← its cover letter's project",
      'update',
      { table: 'patchwork_series', alias: 's', key: ['id'], where: 's.cover_letter_id IS NOT NULL' },
      'patchwork_series',
      'UPDATE patchwork_series s JOIN patchwork_submission c ON c.id = s.cover_letter_id SET s.project_id = c.project_id WHERE {range}',
    );
    // series.patches.first(): Patch inherits Submission's ordering by date.
    b.batched(
      'project-from-patch',
      "series.project ← its first patch's project (no cover letter)",
      'update',
      { table: 'patchwork_series', alias: 's', key: ['id'], where: 's.cover_letter_id IS NULL' },
      'patchwork_series',
      `UPDATE patchwork_series s SET s.project_id = (
         SELECT sub.project_id FROM patchwork_seriespatch sp JOIN patchwork_submission sub ON sub.id = sp.patch_id
          WHERE sp.series_id = s.id ORDER BY sub.date, sub.id LIMIT 1)
        WHERE {range}`,
    );
    // SeriesReference.msgid loses unique=True; (series, msgid) becomes unique together.
    b.dropUniqueOn('patchwork_seriesreference', ['msgid']);
    b.addUnique('patchwork_seriesreference', ['series_id', 'msgid']);
  },
};
