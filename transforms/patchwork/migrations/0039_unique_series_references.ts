import { ConfigError } from '../../../pipeline/errors.js';
import type { PatchworkMigration } from '../migration.js';

/**
 * Series references become unique per project instead of per series: seriesreference.project is
 * filled from the series, duplicates (same project and msgid) keep only their newest row, then the
 * column turns NOT NULL and the unique changes. Both data steps are batched by reference id and
 * idempotent: a resumed copy writes the same values, and a resumed delete removes a row only while
 * a newer duplicate exists (the newest is never removed).
 *
 * A reference whose series has no project keeps a NULL project, and Django then fails part-way on
 * the NOT NULL; drydock finds those before anything runs.
 */
export const migration: PatchworkMigration = {
  name: '0039_unique_series_references',
  async plan(b) {
    const t = 'patchwork_seriesreference';
    // Before 0016 series have no project column, and 0015 creates both tables empty: nothing to check.
    if (b.ctx.schema.tables.get('patchwork_series')?.columns.some((c) => c.name === 'project_id')) {
      const orphans = await b.ctx.query(`SELECT r.id FROM ${t} r JOIN patchwork_series s ON s.id = r.series_id WHERE s.project_id IS NULL LIMIT 5`);
      if (orphans.length) {
        throw new ConfigError(
          `series references ${orphans.map((r) => String(r['id'])).join(', ')} belong to series without a project; migration 0039 would fail making seriesreference.project NOT NULL`,
          { hint: "give those series their project (patchwork_series.project_id, the project of their patches), or delete them, then run again" },
        );
      }
    }
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
