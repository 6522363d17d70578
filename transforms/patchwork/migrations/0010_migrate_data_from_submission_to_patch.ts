import { ConfigError } from '../../../pipeline/errors.js';
import type { PatchworkMigration } from '../migration.js';

/**
 * Every submission (all of them are patches in a 1.0 database) gets its patch row. Batched by
 * submission id: a batch inserts exactly its own range, so a resumed run neither skips nor doubles.
 *
 * The trap: Patchwork 1.0 allowed patch.state_id NULL, but 0009 made state2_id NOT NULL, so
 * Django fails here part-way. drydock finds such rows before anything runs and refuses, unless
 * the operator names the state those patches get (--null-state).
 */
export const migration: PatchworkMigration = {
  name: '0010_migrate_data_from_submission_to_patch',
  async plan(b) {
    // plan() reads the untouched database, where the column is still on patchwork_patch unless 0009 had run.
    const source = b.appliedBefore.has('0009_add_submission_model') ? 'patchwork_submission' : 'patchwork_patch';
    const nulls = Number((await b.ctx.query(`SELECT COUNT(*) AS n FROM \`${source}\` WHERE state_id IS NULL`))[0]?.['n'] ?? 0);
    let state = 's.state_id';
    if (nulls > 0) {
      const wanted = b.ctx.options.nullState;
      const states = await b.ctx.query('SELECT id, name FROM patchwork_state ORDER BY ordering, id');
      const names = states.map((r) => String(r['name']));
      if (wanted === undefined) {
        throw new ConfigError(`${nulls} patch(es) have no state (patchwork_patch.state_id IS NULL); Patchwork 2.1 requires one, and migration 0010 would fail on them`, {
          hint: `choose the state they get with --null-state <name>, one of: ${names.join(', ')}`,
        });
      }
      const hit = states.find((r) => String(r['name']) === wanted);
      if (!hit) throw new ConfigError(`--null-state ${JSON.stringify(wanted)} is not a state of this database`, { hint: `use one of: ${names.join(', ')}` });
      const id = Number(hit['id']);
      if (!Number.isSafeInteger(id)) throw new ConfigError(`state ${wanted} has a strange id ${String(hit['id'])}`);
      state = `COALESCE(s.state_id, ${id})`;
    }
    b.batched(
      'copy-patches',
      'patchwork_patch ← one row per submission (the patch fields, still named *2)',
      'copy',
      { table: 'patchwork_submission', alias: 's', key: ['id'] },
      'patchwork_patch',
      `INSERT INTO patchwork_patch (submission_ptr_id, diff2, commit_ref2, pull_url2, delegate2_id, state2_id, archived2, hash2)
       SELECT s.id, s.diff, s.commit_ref, s.pull_url, s.delegate_id, ${state}, s.archived, s.hash FROM patchwork_submission s WHERE {range}`,
    );
  },
};
