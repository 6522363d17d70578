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
import { migration as m0027 } from './0027_remove_series_ordering.js';
import { migration as m0028 } from './0028_add_comment_date_index.js';
import { migration as m0029 } from './0029_add_list_covering_index.js';
import { migration as m0030 } from './0030_add_submission_covering_index.js';
import { migration as m0031 } from './0031_add_patch_series_fields.js';
import { migration as m0032 } from './0032_migrate_data_from_series_patch_to_patch.js';
import { migration as m0033 } from './0033_remove_patch_series_model.js';
import { migration as m0034 } from './0034_project_list_archive_url.js';
import { migration as m0035 } from './0035_project_list_archive_url_format.js';
import { migration as m0036 } from './0036_project_commit_url_format.js';
import { migration as m0037 } from './0037_event_actor.js';
import { migration as m0038 } from './0038_state_slug.js';
import { migration as m0039 } from './0039_unique_series_references.js';
import { migration as m0040 } from './0040_add_related_patches.js';
import { migration as m0041 } from './0041_python3.js';
import { migration as m0042 } from './0042_add_cover_model.js';
import { migration as m0043 } from './0043_merge_patch_submission.js';
import { migration as m0044 } from './0044_add_project_linkname_validation.js';
import { migration as m0045 } from './0045_addressed_fields.js';
import { migration as m0046 } from './0046_patch_comment_events.js';

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
  m0027,
  m0028,
  m0029,
  m0030,
  m0031,
  m0032,
  m0033,
  m0034,
  m0035,
  m0036,
  m0037,
  m0038,
  m0039,
  m0040,
  m0041,
  m0042,
  m0043,
  m0044,
  m0045,
  m0046,
];
