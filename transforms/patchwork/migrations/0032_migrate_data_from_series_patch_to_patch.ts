import { ConfigError } from '../../../pipeline/errors.js';
import type { PatchworkMigration } from '../migration.js';

/**
 * Each patch takes its series and number from its SeriesPatch row. Django's correlated subqueries
 * fail outright when a patch is in two series; drydock finds such patches before anything runs.
 * Patches in no series keep the NULLs 0031 gave them, so a join is the same as Django's subquery.
 * Batched by patch; re-running a batch writes the same values, so a resumed run is consistent.
 */
export const migration: PatchworkMigration = {
  name: '0032_migrate_data_from_series_patch_to_patch',
  async plan(b) {
    // Before 0015 the table does not exist yet, and 0015 creates it empty: nothing to check.
    if (b.ctx.schema.tables.has('patchwork_seriespatch')) {
      const twice = await b.ctx.query('SELECT patch_id, COUNT(*) AS n FROM patchwork_seriespatch GROUP BY patch_id HAVING COUNT(*) > 1 LIMIT 5');
      if (twice.length) {
        throw new ConfigError(
          `patch(es) ${twice.map((r) => String(r['patch_id'])).join(', ')} belong to more than one series (patchwork_seriespatch); migration 0032 would fail on them`,
          { hint: 'keep one patchwork_seriespatch row per patch (Patchwork 3 allows one series per patch), then run again' },
        );
      }
    }
    b.batched(
      'copy-series-number',
      "patch.series_alt, patch.number ← the patch's SeriesPatch row",
      'update',
      { table: 'patchwork_patch', alias: 'p', key: ['submission_ptr_id'] },
      'patchwork_patch',
      `UPDATE patchwork_patch p JOIN patchwork_seriespatch sp ON sp.patch_id = p.submission_ptr_id
          SET p.series_alt_id = sp.series_id, p.number = sp.number WHERE {range}`,
    );
  },
};
