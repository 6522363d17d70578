import type { PatchworkMigration } from '../migration.js';

/**
 * Check.context becomes a NOT NULL SlugField (so indexed) with default 'default'. Django fills
 * NULLs with the default before tightening the column; here that fill is batched.
 */
export const migration: PatchworkMigration = {
  name: '0013_slug_check_context',
  plan(b) {
    b.batched(
      'fill-context',
      "check.context NULL → 'default'",
      'update',
      { table: 'patchwork_check', alias: 'c', key: ['id'], where: 'c.context IS NULL' },
      'patchwork_check',
      "UPDATE patchwork_check c SET c.context = 'default' WHERE {range}",
    );
    b.changeColumn('patchwork_check', 'context', 'context', 'varchar(255) NOT NULL', "IS_NULLABLE = 'NO'");
    b.createIndex('patchwork_check', ['context']);
  },
};
