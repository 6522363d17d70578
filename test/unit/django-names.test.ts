import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkName, createIndexName, fkConstraintName, indexName, namesDigest, uniqueName } from '../../transforms/patchwork/django-names.js';

// Names taken from schemas Django 3.2 made on MariaDB (shared/reference).
test('foreign key names match Django, short and truncated', () => {
  const cases: Array<[string, string, string, string, string]> = [
    ['patchwork_check', 'patch_id', 'patchwork_patch', 'id', 'patchwork_check_patch_id_e517f972_fk_patchwork_patch_id'],
    ['patchwork_check', 'patch_id', 'patchwork_submission', 'id', 'patchwork_check_patch_id_e517f972_fk_patchwork_submission_id'],
    ['patchwork_check', 'patch_id', 'patchwork_patch', 'submission_ptr_id', 'patchwork_check_patch_id_e517f972_fk_patchwork'],
    ['patchwork_bundlepatch', 'patch_id', 'patchwork_submission', 'id', 'patchwork_bundlepatc_patch_id_c75a880f_fk_patchwork'],
    ['patchwork_comment', 'submission_id', 'patchwork_submission', 'id', 'patchwork_comment_submission_id_69e4e741_fk_patchwork'],
    ['patchwork_patch', 'state_id', 'patchwork_state', 'id', 'patchwork_patch_state_id_3d9fb500_fk_patchwork_state_id'],
    ['patchwork_userprofile_maintainer_projects', 'userprofile_id', 'patchwork_userprofile', 'id', 'patchwork_userprofil_userprofile_id_faed50d7_fk_patchwork'],
    ['auth_group_permissions', 'permission_id', 'auth_permission', 'id', 'auth_group_permissio_permission_id_84c5c92e_fk_auth_perm'],
    ['django_admin_log', 'content_type_id', 'django_content_type', 'id', 'django_admin_log_content_type_id_c4bce8eb_fk_django_co'],
  ];
  for (const [t, c, rt, rc, want] of cases) assert.equal(fkConstraintName(t, c, rt, rc), want);
});

test('unique, index and check names match Django', () => {
  assert.equal(uniqueName('patchwork_seriespatch', ['series_id', 'number']), 'patchwork_seriespatch_series_id_number_bd5f75f4_uniq');
  assert.equal(uniqueName('patchwork_project', ['listid', 'subject_match']), 'patchwork_project_listid_subject_match_ab7737e7_uniq');
  assert.equal(uniqueName('patchwork_userprofile_maintainer_projects', ['userprofile_id', 'project_id']), 'patchwork_userprofile_ma_userprofile_id_project_i_4fdb8d78_uniq');
  assert.equal(indexName('patchwork_event', ['category']), 'patchwork_event_category_28fbc859');
  assert.equal(indexName('django_session', ['expire_date']), 'django_session_expire_date_a5c62663');
  assert.equal(checkName('patchwork_userprofile', 'items_per_page'), 'patchwork_userprofile_items_per_page_4e8222e2_check');
});

test('names never exceed 64 characters, and the digest covers table and columns only', () => {
  const long = createIndexName('a'.repeat(80), ['b'.repeat(80), 'c'], '_fk_' + 'd'.repeat(80) + '_id');
  assert.ok(long.length <= 64, long);
  assert.equal(namesDigest(['patchwork_check', 'patch_id'], 8), 'e517f972');
  assert.match(createIndexName('_x', ['y'.repeat(70)]), /^D_x_/);
});
