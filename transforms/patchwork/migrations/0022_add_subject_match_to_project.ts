import type { PatchworkMigration } from '../migration.js';

/**
 * project.subject_match ('' for existing projects, as Patchwork 2.1 wrote it), and listid is no
 * longer unique alone but together with subject_match.
 */
export const migration: PatchworkMigration = {
  name: '0022_add_subject_match_to_project',
  plan(b) {
    b.addColumn('patchwork_project', 'subject_match', "varchar(64) DEFAULT '' NOT NULL");
    b.dropDefault('patchwork_project', 'subject_match');
    b.dropUniqueOn('patchwork_project', ['listid']);
    b.addUnique('patchwork_project', ['listid', 'subject_match']);
  },
};
