import type { PatchworkMigration } from '../migration.js';

/** tag.show_column, true for every tag. */
export const migration: PatchworkMigration = {
  name: '0020_tag_show_column',
  plan(b) {
    b.addColumn('patchwork_tag', 'show_column', 'bool DEFAULT 1 NOT NULL');
    b.dropDefault('patchwork_tag', 'show_column');
  },
};
