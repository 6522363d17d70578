import type { PatchworkMigration } from '../migration.js';

/**
 * Series, SeriesPatch and SeriesReference. Django defers a new table's foreign keys to the end of
 * the migration but adds an added field's FK with its column, and unique_together at once: that
 * order decides which implicit FK indexes exist and where they are listed, so it is kept.
 */
export const migration: PatchworkMigration = {
  name: '0015_add_series_models',
  plan(b) {
    b.createModel(
      'patchwork_seriesreference',
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['msgid', 'varchar(255) NOT NULL UNIQUE'],
      ],
      { primaryKey: ['id'], uniqueColumns: ['msgid'] },
    );
    b.createModel(
      'patchwork_series',
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['name', 'varchar(255) NULL'],
        ['date', 'datetime(6) NOT NULL'],
        ['version', 'integer NOT NULL'],
        ['total', 'integer NOT NULL'],
        ['cover_letter_id', 'integer NULL'],
      ],
      { primaryKey: ['id'] },
    );
    b.createModel(
      'patchwork_seriespatch',
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['number', 'smallint UNSIGNED NOT NULL CHECK (`number` >= 0)'],
        ['patch_id', 'integer NOT NULL'],
        ['series_id', 'integer NOT NULL'],
      ],
      { primaryKey: ['id'] },
    );
    // AddField of a FK: Django 3.x on MySQL adds the column and its constraint at once (inline FK).
    b.addColumn('patchwork_series', 'submitter_id', 'integer NOT NULL');
    b.addForeignKey('patchwork_series', 'submitter_id', 'patchwork_person', 'id');
    b.addColumn('patchwork_seriesreference', 'series_id', 'integer NOT NULL');
    b.addForeignKey('patchwork_seriesreference', 'series_id', 'patchwork_series', 'id');
    b.addUnique('patchwork_seriespatch', ['series_id', 'number']);
    b.addUnique('patchwork_seriespatch', ['series_id', 'patch_id']);
    // The CreateModels' FKs, deferred to the end of the migration, in the order Django queued them.
    b.addForeignKey('patchwork_series', 'cover_letter_id', 'patchwork_coverletter', 'submission_ptr_id');
    b.addForeignKey('patchwork_seriespatch', 'patch_id', 'patchwork_patch', 'submission_ptr_id');
    b.addForeignKey('patchwork_seriespatch', 'series_id', 'patchwork_series', 'id');
  },
};
