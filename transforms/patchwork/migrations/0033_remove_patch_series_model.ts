import type { PatchworkMigration } from '../migration.js';

/**
 * SeriesPatch goes, patch.series_alt becomes patch.series, and a cover letter belongs to one series.
 *
 * Django first drops SeriesPatch's unique indexes, FKs and columns one by one (each a rebuild of a
 * table with a row per patch) and then the table; drydock drops the table at once: the same schema.
 */
export const migration: PatchworkMigration = {
  name: '0033_remove_patch_series_model',
  plan(b) {
    b.dropTable('patchwork_seriespatch');

    // RenameField: drop the FK, rename the column, add the FK under the name of the new column.
    // The unique index keeps its series_alt name; AlterUniqueTogether to (series, number) is then a no-op.
    b.dropForeignKeyOn('patchwork_patch', 'series_alt_id');
    b.changeColumn('patchwork_patch', 'series_alt_id', 'series_id', 'integer NULL');
    b.addForeignKey('patchwork_patch', 'series_id', 'patchwork_series', 'id');

    // ForeignKey → OneToOneField: drop the FK, add the unique (it covers the column, so MariaDB
    // drops the FK's implicit index), add the FK back under the same name.
    const { refTable, refColumn } = b.dropForeignKeyOn('patchwork_series', 'cover_letter_id');
    b.addUnique('patchwork_series', ['cover_letter_id']);
    b.addForeignKey('patchwork_series', 'cover_letter_id', refTable, refColumn);
  },
};
