import type { PatchworkMigration } from '../migration.js';

/** Creates DelegationRule, then its unique_together (path, project). */
export const migration: PatchworkMigration = {
  name: '0004_add_delegation_rule_model',
  plan(b) {
    b.createModel(
      'patchwork_delegationrule',
      [
        ['id', 'integer AUTO_INCREMENT NOT NULL PRIMARY KEY'],
        ['path', 'varchar(255) NOT NULL'],
        ['priority', 'integer NOT NULL'],
        ['project_id', 'integer NOT NULL'],
        ['user_id', 'integer NOT NULL'],
      ],
      { primaryKey: ['id'] },
    );
    // Django runs AlterUniqueTogether at once and the create's FKs at the end of the migration.
    b.addUnique('patchwork_delegationrule', ['path', 'project_id']);
    b.addForeignKey('patchwork_delegationrule', 'project_id', 'patchwork_project', 'id');
    b.addForeignKey('patchwork_delegationrule', 'user_id', 'auth_user', 'id');
  },
};
