import type { PatchworkMigration } from '../migration.js';

/** event.actor: the user behind an event; the FK comes with its column. */
export const migration: PatchworkMigration = {
  name: '0037_event_actor',
  plan(b) {
    b.addColumn('patchwork_event', 'actor_id', 'integer NULL');
    b.addForeignKey('patchwork_event', 'actor_id', 'auth_user', 'id');
  },
};
