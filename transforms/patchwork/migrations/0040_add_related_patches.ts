import type { PatchworkMigration } from '../migration.js';

/** PatchRelation, the event categories' longer column, and the FKs to relations (each with its column). */
export const migration: PatchworkMigration = {
  name: '0040_add_related_patches',
  plan(b) {
    b.createModel('patchwork_patchrelation', [['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY']], { primaryKey: ['id'] });
    b.changeColumn('patchwork_event', 'category', 'category', 'varchar(25) NOT NULL', 'CHARACTER_MAXIMUM_LENGTH = 25');
    for (const [t, c] of [
      ['patchwork_event', 'current_relation_id'],
      ['patchwork_event', 'previous_relation_id'],
      ['patchwork_patch', 'related_id'],
    ] as const) {
      b.addColumn(t, c, 'integer NULL');
      b.addForeignKey(t, c, 'patchwork_patchrelation', 'id');
    }
  },
};
