import type { PatchworkMigration } from '../migration.js';

/** Comments can be marked addressed (NULL until someone does). */
export const migration: PatchworkMigration = {
  name: '0045_addressed_fields',
  plan(b) {
    b.addColumn('patchwork_covercomment', 'addressed', 'bool NULL');
    b.addColumn('patchwork_patchcomment', 'addressed', 'bool NULL');
  },
};
