/**
 * Patchwork's migrations drydock can apply, in order. 0001 and 0002 are Patchwork 1.0 itself (the
 * pack's starting point). To add a migration: write NNNN_name.ts exporting `migration`, import it
 * here and append it to the list; versions in pack.ts name their last migration.
 */
import type { PatchworkMigration } from '../migration.js';
import { migration as m0003 } from './0003_add_check_model.js';
import { migration as m0004 } from './0004_add_delegation_rule_model.js';
import { migration as m0005 } from './0005_unselectable_maintainer_projects.js';
import { migration as m0006 } from './0006_add_patch_diff.js';
import { migration as m0007 } from './0007_move_comment_content_to_patch_content.js';
import { migration as m0008 } from './0008_add_email_mixin.js';
import { migration as m0009 } from './0009_add_submission_model.js';
import { migration as m0010 } from './0010_migrate_data_from_submission_to_patch.js';
import { migration as m0011 } from './0011_remove_temp_fields.js';
import { migration as m0012 } from './0012_add_coverletter_model.js';
import { migration as m0013 } from './0013_slug_check_context.js';
import { migration as m0014 } from './0014_remove_userprofile_primary_project.js';
import { migration as m0015 } from './0015_add_series_models.js';
import { migration as m0016 } from './0016_series_project.js';
import { migration as m0017 } from './0017_improved_delegation_rule_docs.js';
import { migration as m0018 } from './0018_add_event_model.js';
import { migration as m0019 } from './0019_userprofile_show_ids.js';
import { migration as m0020 } from './0020_tag_show_column.js';
import { migration as m0021 } from './0021_django_1_10_fixes.js';
import { migration as m0022 } from './0022_add_subject_match_to_project.js';
import { migration as m0023 } from './0023_timezone_unify.js';
import { migration as m0024 } from './0024_patch_patch_project.js';
import { migration as m0025 } from './0025_add_regex_validators.js';
import { migration as m0026 } from './0026_add_user_bundles_backref.js';

/** Before the first entry: what a Patchwork 1.0 database has applied. */
export const BASELINE = ['0001_initial', '0002_fix_patch_state_default_values'] as const;

export const migrations: readonly PatchworkMigration[] = [
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
  m0016,
  m0017,
  m0018,
  m0019,
  m0020,
  m0021,
  m0022,
  m0023,
  m0024,
  m0025,
  m0026,
];
