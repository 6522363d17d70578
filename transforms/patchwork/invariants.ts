/**
 * What must hold after the Patchwork migrations, as bounded queries that return violating rows.
 * They describe the 2.1 schema (submission / patch / comment.submission_id), so they apply to a
 * result at 2.1 or later; the pack returns none for an older target.
 */
import type { Invariant } from '../core/pack.js';

export const INVARIANTS_2_1: Invariant[] = [
  {
    id: 'patchwork.submission-has-kind',
    title: 'every submission is a patch or a cover letter',
    sql: `SELECT s.id FROM patchwork_submission s
            LEFT JOIN patchwork_patch p ON p.submission_ptr_id = s.id
            LEFT JOIN patchwork_coverletter c ON c.submission_ptr_id = s.id
           WHERE p.submission_ptr_id IS NULL AND c.submission_ptr_id IS NULL LIMIT 10`,
  },
  {
    id: 'patchwork.no-body-comments',
    title: "no comment repeats its submission's own mail (0007 moved those into the submission)",
    sql: `SELECT c.id FROM patchwork_comment c JOIN patchwork_submission s ON s.id = c.submission_id AND s.msgid = c.msgid LIMIT 10`,
  },
  {
    id: 'patchwork.patch-project-matches',
    title: "patch.patch_project is the submission's project",
    sql: `SELECT p.submission_ptr_id FROM patchwork_patch p JOIN patchwork_submission s ON s.id = p.submission_ptr_id
           WHERE p.patch_project_id <> s.project_id LIMIT 10`,
  },
  {
    id: 'patchwork.migrations-once',
    title: 'each Patchwork migration is recorded once',
    sql: `SELECT name FROM django_migrations WHERE app = 'patchwork' GROUP BY name HAVING COUNT(*) > 1 LIMIT 10`,
  },
];
