/**
 * What must hold after the Patchwork migrations up to 3.x, as bounded queries that return violating
 * rows. From 0042 on the 2.1 list no longer applies (patchwork_comment, patchwork_coverletter and,
 * after 0043, patchwork_submission are gone), so a target at or past 0042 takes this list instead.
 */
import type { Invariant } from '../core/pack.js';

/** The first migration whose result the 2.1 invariants can no longer be asked about. */
export const FIRST_3X_INVARIANT_MIGRATION = '0042_add_cover_model';

export const INVARIANTS_3X: Invariant[] = [
  {
    id: 'patchwork.no-body-comments',
    title: "no patch comment repeats its patch's own mail (0007 moved those into the patch)",
    sql: `SELECT c.id FROM patchwork_patchcomment c JOIN patchwork_patch p ON p.id = c.patch_id AND p.msgid = c.msgid LIMIT 10`,
  },
  {
    id: 'patchwork.cover-comments-moved',
    title: "no patch comment is a cover letter's comment (0042 moved those to patchwork_covercomment)",
    sql: `SELECT c.id FROM patchwork_patchcomment c JOIN patchwork_cover v ON v.id = c.patch_id
           JOIN patchwork_patch p ON p.id = c.patch_id AND p.msgid = v.msgid AND p.diff IS NULL AND p.state_id IS NULL LIMIT 10`,
  },
  {
    id: 'patchwork.series-patch-numbered',
    title: 'every patch in a series has its number (0032 moved both from SeriesPatch)',
    sql: `SELECT id FROM patchwork_patch WHERE series_id IS NOT NULL AND number IS NULL LIMIT 10`,
  },
  {
    id: 'patchwork.migrations-once',
    title: 'each Patchwork migration is recorded once',
    sql: `SELECT name FROM django_migrations WHERE app = 'patchwork' GROUP BY name HAVING COUNT(*) > 1 LIMIT 10`,
  },
];
