import type { PatchworkMigration } from '../migration.js';

/** Event: the activity feed. FKs and the category index come after the table, as Django defers them. */
export const migration: PatchworkMigration = {
  name: '0018_add_event_model',
  plan(b) {
    const t = 'patchwork_event';
    const fks: Array<[string, string, string, string]> = [
      ['cover_id', 'NULL', 'patchwork_coverletter', 'submission_ptr_id'],
      ['created_check_id', 'NULL', 'patchwork_check', 'id'],
      ['current_delegate_id', 'NULL', 'auth_user', 'id'],
      ['current_state_id', 'NULL', 'patchwork_state', 'id'],
      ['patch_id', 'NULL', 'patchwork_patch', 'submission_ptr_id'],
      ['previous_delegate_id', 'NULL', 'auth_user', 'id'],
      ['previous_state_id', 'NULL', 'patchwork_state', 'id'],
      ['project_id', 'NOT NULL', 'patchwork_project', 'id'],
      ['series_id', 'NULL', 'patchwork_series', 'id'],
    ];
    b.createModel(
      t,
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['category', 'varchar(20) NOT NULL'],
        ['date', 'datetime(6) NOT NULL'],
        ...fks.map(([c, n]): [string, string] => [c, `integer ${n}`]),
      ],
      { primaryKey: ['id'] },
    );
    for (const [c, , rt, rc] of fks) b.addForeignKey(t, c, rt, rc);
    b.createIndex(t, ['category']);
  },
};
