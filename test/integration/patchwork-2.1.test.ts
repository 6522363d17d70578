/**
 * The Patchwork pack from 1.0 to 2.1 against Django's own result: the schema after every migration
 * (reference/steps), the 2.1 schema and django_migrations rows, and what happens to each row — run
 * by the real batched runner with small batches, and compared with the one-statement executor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Connection } from 'mysql2/promise';
import { ConfigError } from '../../pipeline/errors.js';
import { runMigration } from '../../pipeline/stages/migrate.js';
import type { PlanOptions } from '../../transforms/core/pack.js';
import { patchworkPack } from '../../transforms/patchwork/pack.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';
import { runStepsUnbatched } from '../helpers/run-steps-unbatched.js';
import { EXAMPLE, load, planAndRun, planContext, rows } from '../helpers/patchwork.js';
import type { Row } from '../helpers/patchwork.js';
import { compareWithReference, REFERENCE_DIR } from '../helpers/schema-compare.js';


const stepFiles = readdirSync(`${REFERENCE_DIR}/steps`).filter((f) => f >= '0003' && f < '0027').sort();

test('planned once from 1.0, the schema at 0009, 0011 and 0016 equals what Django made', { skip }, async () => {
  const db = await testDatabase('t_pw21_steps');
  try {
    for (const to of ['0009', '0011', '0016']) {
      await load(db, `${REFERENCE_DIR}/patchwork-1.0-schema.sql`, `${REFERENCE_DIR}/patchwork-1.0-django_migrations.sql`);
      await planAndRun(db, { to });
      const f = stepFiles.find((n) => n.startsWith(to)) ?? '';
      assert.deepEqual(await compareWithReference(db.conn, `${REFERENCE_DIR}/steps/${f}`), [], `after ${f}`);
    }
  } finally {
    await db.close();
  }
});

test('migration by migration, 0003..0026 each leave the schema Django left (reference/steps)', { skip }, async () => {
  const db = await testDatabase('t_pw21_each');
  try {
    await load(db, `${REFERENCE_DIR}/patchwork-1.0-schema.sql`, `${REFERENCE_DIR}/patchwork-1.0-django_migrations.sql`);
    // Each plan starts from what the previous one left (django_migrations and a fresh snapshot).
    for (const f of stepFiles) {
      const steps = await patchworkPack.plan(await planContext(db.conn, { to: f.slice(0, 4) }));
      assert.ok(steps.every((s) => s.migration === `patchwork.${f.replace(/\.sql$/, '')}`), `only ${f} is planned`);
      await runStepsUnbatched(db.conn, steps);
      assert.deepEqual(await compareWithReference(db.conn, `${REFERENCE_DIR}/steps/${f}`), [], `after ${f}`);
    }
    assert.deepEqual(await patchworkPack.plan(await planContext(db.conn, { to: '2.1' })), [], 'nothing left to do at 2.1');
  } finally {
    await db.close();
  }
});

test('each DDL step\'s appliedWhen probe is false before the step and true right after it (so a resumed run neither skips nor repeats it)', { skip }, async () => {
  const db = await testDatabase('t_pw21_probes');
  try {
    await load(db, `${REFERENCE_DIR}/patchwork-1.0-schema.sql`, `${REFERENCE_DIR}/patchwork-1.0-django_migrations.sql`);
    const steps = await patchworkPack.plan(await planContext(db.conn, { to: '2.1' }));
    for (const s of steps) {
      if (s.kind === 'ddl' && s.appliedWhen) assert.deepEqual(await rows(db.conn, s.appliedWhen), [], `${s.id}: not applied yet`);
      await runStepsUnbatched(db.conn, [s]);
      if (s.kind === 'ddl' && s.appliedWhen) assert.ok((await rows(db.conn, s.appliedWhen)).length > 0, `${s.id}: applied`);
    }
  } finally {
    await db.close();
  }
});

/** What the 1.0 data says each 2.1 row must be. */
async function expectations(conn: Connection) {
  const patches = await rows(
    conn,
    `SELECT p.id, p.msgid, p.name, p.date, p.headers, p.project_id, p.submitter_id, p.content AS diff, p.state_id, p.delegate_id,
            p.archived, p.commit_ref, p.pull_url, p.hash, c.content AS body
       FROM patchwork_patch p LEFT JOIN patchwork_comment c ON c.patch_id = p.id AND c.msgid = p.msgid ORDER BY p.id`,
  );
  const replies = await rows(
    conn,
    `SELECT c.id, c.msgid, c.date, c.headers, c.content, c.patch_id AS submission_id, c.submitter_id
       FROM patchwork_comment c JOIN patchwork_patch p ON p.id = c.patch_id WHERE c.msgid <> p.msgid ORDER BY c.id`,
  );
  return { patches, replies };
}

async function results(conn: Connection) {
  const patches = await rows(
    conn,
    `SELECT s.id, s.msgid, s.name, s.date, s.headers, s.project_id, s.submitter_id, p.diff, p.state_id, p.delegate_id,
            p.archived, p.commit_ref, p.pull_url, p.hash, s.content AS body
       FROM patchwork_submission s JOIN patchwork_patch p ON p.submission_ptr_id = s.id ORDER BY s.id`,
  );
  const replies = await rows(conn, 'SELECT id, msgid, date, headers, content, submission_id, submitter_id FROM patchwork_comment ORDER BY id');
  return { patches, replies };
}

async function checksums(conn: Connection): Promise<Row[]> {
  const tables = (await rows(conn, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'patchwork\\_%' ORDER BY 1")).map((r) => String(r['t']));
  return (await rows(conn, `CHECKSUM TABLE ${tables.map((t) => '`' + t + '`').join(', ')}`)).map((r) => ({ t: String(r['Table']).split('.')[1], c: r['Checksum'] }));
}

test('example 1.0 data through the batched runner: Django’s 2.1 schema, rows moved as the migrations say', { skip }, async () => {
  const db = await testDatabase('t_pw21_data');
  const ref = await testDatabase('t_pw21_data_ref');
  try {
    await load(db, EXAMPLE);
    const before = await expectations(db.conn);
    assert.ok(before.patches.length > 0 && before.replies.length > 0, 'the example has patches and replies');
    assert.ok(before.patches.some((p) => p['body'] !== null), 'the example has patch-body comments');
    const nullStates = Number((await rows(db.conn, 'SELECT COUNT(*) AS n FROM patchwork_patch WHERE state_id IS NULL'))[0]?.['n']);
    const planOptions: PlanOptions = { to: '2.1', batchRows: 50 };
    if (nullStates) planOptions.nullState = String((await rows(db.conn, 'SELECT name FROM patchwork_state ORDER BY ordering LIMIT 1'))[0]?.['name']);

    // Stopped between batches inside 0007's delete and inside 0010's copy, then resumed: the stored
    // plan is replayed and each data step continues after its last committed batch.
    const run = (stopIn?: string) => {
      const ac = new AbortController();
      return runMigration({
        address: db.address,
        pack: patchworkPack,
        planOptions,
        batchRows: 50,
        batchSeconds: 0,
        allowUnbatched: false,
        signal: ac.signal,
        onEvent: (e) => {
          if (stopIn && e.event === 'batch' && e.stepId.includes(stopIn) && e.batch >= 2) ac.abort();
        },
      });
    };
    assert.equal((await run('delete-body-comments')).status, 'interrupted');
    assert.equal((await run('copy-patches')).status, 'interrupted');
    const r = await run();
    assert.equal(r.status, 'done', r.error?.message);
    assert.ok(r.resumed);
    assert.ok(r.steps.some((s) => s.kind === 'batched' && s.batches > 1), 'data moved in several batches');

    assert.deepEqual(await compareWithReference(db.conn, `${REFERENCE_DIR}/patchwork-2.1-schema.sql`), []);
    const names = async (c: Connection) => (await rows(c, 'SELECT app, name FROM django_migrations ORDER BY id')).map((x) => `${String(x['app'])} ${String(x['name'])}`);
    const want = readFileSync(`${REFERENCE_DIR}/patchwork-2.1-django_migrations.txt`, 'utf8').trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    assert.deepEqual(await names(db.conn), want);

    const after = await results(db.conn);
    const fallback = nullStates ? Number((await rows(db.conn, 'SELECT id FROM patchwork_state ORDER BY ordering LIMIT 1'))[0]?.['id']) : undefined;
    assert.deepEqual(
      after.patches,
      before.patches.map((p) => ({ ...p, state_id: p['state_id'] ?? fallback })),
      'every 1.0 patch is a submission + patch with its fields, its body from the comment',
    );
    assert.deepEqual(after.replies, before.replies, 'body comments are gone, replies remain, pointing at their submission');
    assert.deepEqual(await rows(db.conn, "SELECT id FROM patchwork_project WHERE subject_match <> ''"), []);
    assert.deepEqual(await rows(db.conn, 'SELECT p.submission_ptr_id FROM patchwork_patch p JOIN patchwork_submission s ON s.id = p.submission_ptr_id WHERE p.patch_project_id <> s.project_id'), []);
    for (const inv of patchworkPack.invariants(await planContext(db.conn, { to: '2.1' }))) {
      assert.deepEqual(await rows(db.conn, inv.sql), [], inv.title);
    }

    // The batched result is the one-statement result, table for table.
    await load(ref, EXAMPLE);
    await planAndRun(ref, planOptions);
    const strip = (x: Row[]) => x.filter((c) => c['t'] !== '_drydock_plan' && c['t'] !== '_drydock_checkpoint');
    assert.deepEqual(strip(await checksums(db.conn)), strip(await checksums(ref.conn)));
  } finally {
    await db.close();
    await ref.close();
  }
});

test('the 0010 trap: patches without a state are refused before anything runs, or mapped by --null-state', { skip }, async () => {
  const db = await testDatabase('t_pw21_nullstate');
  try {
    await load(db, EXAMPLE);
    await db.conn.query('UPDATE patchwork_patch SET state_id = NULL WHERE id IN (SELECT id FROM (SELECT id FROM patchwork_patch ORDER BY id LIMIT 3) x)');
    const tables = async () => (await rows(db.conn, 'SHOW TABLES')).length;
    const n = await tables();
    await assert.rejects(
      () => runMigration({ address: db.address, pack: patchworkPack, planOptions: { to: '2.1', batchRows: 100 }, batchRows: 100, batchSeconds: 0, allowUnbatched: false }),
      (e: unknown) => e instanceof ConfigError && /3 patch\(es\) have no state/.test(e.message) && /--null-state/.test(e.hint ?? ''),
    );
    assert.equal(await tables(), n, 'nothing ran');
    await assert.rejects(
      async () => patchworkPack.plan(await planContext(db.conn, { to: '2.1', nullState: 'No Such State' })),
      (e: unknown) => e instanceof ConfigError && /Accepted/.test(e.hint ?? ''),
    );
    const accepted = Number((await rows(db.conn, "SELECT id FROM patchwork_state WHERE name = 'Accepted'"))[0]?.['id']);
    await planAndRun(db, { to: '2.1', nullState: 'Accepted' });
    const [r] = await rows(db.conn, 'SELECT COUNT(*) AS n, MIN(state_id) AS lo, MAX(state_id) AS hi FROM patchwork_patch WHERE submission_ptr_id IN (SELECT id FROM (SELECT id FROM patchwork_submission ORDER BY id LIMIT 3) x)');
    assert.deepEqual([Number(r?.['n']), Number(r?.['lo']), Number(r?.['hi'])], [3, accepted, accepted]);
  } finally {
    await db.close();
  }
});
