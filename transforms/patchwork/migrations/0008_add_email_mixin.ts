import type { PatchworkMigration } from '../migration.js';

/** Comment.content becomes nullable. */
export const migration: PatchworkMigration = {
  name: '0008_add_email_mixin',
  plan(b) {
    b.changeColumn('patchwork_comment', 'content', 'content', 'longtext NULL', "IS_NULLABLE = 'YES'");
  },
};
