import type { PatchworkMigration } from '../migration.js';

/**
 * Series references become unique per project instead of per series: seriesreference.project is
 * filled from the series, duplicates (same project and msgid) keep only their newest row, then the
 * column turns NOT NULL and the unique changes. Both data steps are batched by reference id and
 * idempotent: a resumed copy writes the same values, and a resumed delete removes a row only while
 * a newer duplicate exists (the newest is never removed).
 */
export const migration: PatchworkMigration = {
  name: '0039_unique_series_references',
  plan(b) {
    const t = 'patchwork_seriesreference';
    b.addColumn(t, 'project_id', 'integer NULL');
    b.addForeignKey(t, 'project_id', 'patchwork_project', 'id');
    b.batched(
      'copy-project',
      "seriesreference.project ← the series' project",
      'update',
      { table: t, alias: 'r', key: ['id'] },
      t,
      `UPDATE ${t} r JOIN patchwork_series s ON s.id = r.series_id SET r.project_id = s.project_id WHERE {range}`,
    );
    b.batched(
      'delete-duplicates',
      'delete series references that a newer one of the same project and msgid repeats',
      'delete',
      { table: t, alias: 'r', key: ['id'] },
      t,
      `DELETE r FROM ${t} r JOIN ${t} n ON n.project_id = r.project_id AND n.msgid = r.msgid AND n.id > r.id WHERE {range}`,
    );
    // AlterField null=False on a FK: Django drops the FK, changes the column, adds the FK back.
    const { refTable, refColumn } = b.dropForeignKeyOn(t, 'project_id');
    b.changeColumn(t, 'project_id', 'project_id', 'integer NOT NULL', "IS_NULLABLE = 'NO'");
    b.addForeignKey(t, 'project_id', refTable, refColumn);
    b.removeUniqueTogether(t, ['series_id', 'msgid']);
    b.addUnique(t, ['project_id', 'msgid']);
  },
};
