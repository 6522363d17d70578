import type { PatchworkMigration } from '../migration.js';

/** Creates Check (CI results on a patch). */
export const migration: PatchworkMigration = {
  name: '0003_add_check_model',
  plan(b) {
    b.createModel(
      'patchwork_check',
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['date', 'datetime(6) NOT NULL'],
        ['state', 'smallint NOT NULL'],
        ['target_url', 'varchar(200) NULL'],
        ['description', 'longtext NULL'],
        ['context', 'varchar(255) NULL'],
        ['patch_id', 'integer NOT NULL'],
        ['user_id', 'integer NOT NULL'],
      ],
      { primaryKey: ['id'] },
    );
    b.addForeignKey('patchwork_check', 'patch_id', 'patchwork_patch', 'id');
    b.addForeignKey('patchwork_check', 'user_id', 'auth_user', 'id');
  },
};
