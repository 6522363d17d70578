import type { PatchworkMigration } from '../migration.js';

/**
 * patch.number and patch.series_alt, the future home of SeriesPatch's data. The FK comes with its
 * column; the unique (series_alt, number) right after covers series_alt_id, so MariaDB drops the
 * index it made for the FK (the reference has none).
 */
export const migration: PatchworkMigration = {
  name: '0031_add_patch_series_fields',
  plan(b) {
    b.addColumn('patchwork_patch', 'number', 'smallint UNSIGNED NULL CHECK (`number` >= 0)');
    b.addColumn('patchwork_patch', 'series_alt_id', 'integer NULL');
    b.addForeignKey('patchwork_patch', 'series_alt_id', 'patchwork_series', 'id');
    b.addUnique('patchwork_patch', ['series_alt_id', 'number']);
  },
};
