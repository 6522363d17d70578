import type { PatchworkMigration } from '../migration.js';

/** The patch list's covering index. */
export const migration: PatchworkMigration = {
  name: '0029_add_list_covering_index',
  plan(b) {
    b.addNamedIndex('patchwork_patch', 'patch_list_covering_idx', ['archived', 'patch_project_id', 'state_id', 'delegate_id']);
  },
};
