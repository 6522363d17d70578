/**
 * The runner against a real server: a batched step must leave exactly what the one unbatched
 * statement leaves on the same data (each scenario runs the batched step in one database and the
 * plain statement in a twin), for UPDATE, UPDATE ... JOIN, INSERT ... SELECT and DELETE, over
 * sparse, composite and string keys; re-runs are no-ops; refusals say what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Connection } from 'mysql2/promise';
import { skip, testDatabase } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';
import { nextBatchSize, planMigration, runMigration, CHECKPOINT_TABLE, PLAN_TABLE } from '../../pipeline/stages/migrate.js';
import type { Pack, PlanContext } from '../../transforms/core/pack.js';
import type { MigrateEvent, MigrateOptions } from '../../pipeline/stages/migrate.js';
import { renderPlanText } from '../../pipeline/stages/plan-render.js';
import { ConfigError, StageError } from '../../pipeline/errors.js';
import type { BatchedStep, Step } from '../../transforms/core/step.js';

type Row = Record<string, unknown>;

async function q(conn: Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [r] = await conn.query(sql, params);
  return r as Row[];
}

/** Row count and an MD5 over all rows in key order: equal iff the tables hold the same rows. */
async function tableHash(conn: Connection, db: string, table: string): Promise<string> {
  await conn.query('SET SESSION group_concat_max_len = 1073741824');
  const cols = (await q(conn, 'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table])).map(
    (r) => '`' + String(r['c']) + '`',
  );
  const key = (await q(conn, "SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", [db, table]))
    .map((r) => '`' + String(r['c']) + '`');
  const row = cols.map((c) => `IFNULL(HEX(${c}), 'NULL')`).join(", '|', ");
  const r = await q(conn, `SELECT COUNT(*) AS n, MD5(GROUP_CONCAT(CONCAT(${row}) ORDER BY ${(key.length ? key : cols).join(', ')} SEPARATOR '\\n')) AS h FROM \`${db}\`.\`${table}\``);
  return `${String(r[0]!['n'])}:${String(r[0]!['h'])}`;
}

function options(db: TestDatabase, extra: Partial<MigrateOptions>): MigrateOptions {
  return { address: db.address, planOptions: { batchRows: 7 }, batchRows: 7, batchSeconds: 0, allowUnbatched: false, ...extra };
}

/** Two databases with the same setup: `run` gets the runner, `ref` the plain statement. */
async function twins(name: string, setup: string[]): Promise<{ run: TestDatabase; ref: TestDatabase; close(): Promise<void> }> {
  const run = await testDatabase(`t_mig_${name}`);
  const ref = await testDatabase(`t_mig_${name}_ref`);
  for (const db of [run, ref]) for (const s of setup) await db.conn.query(s);
  return { run, ref, close: async () => (await run.close(), await ref.close()) };
}

const SPARSE = [
  'CREATE TABLE item (id INT NOT NULL PRIMARY KEY, grp INT NOT NULL, n INT NOT NULL, label VARCHAR(40) NULL)',
  // Sparse ids with a huge gap: chunks are by key order, not by id arithmetic.
  "INSERT INTO item SELECT seq * 7, seq % 5, seq, IF(seq % 4 = 0, NULL, CONCAT('L', seq)) FROM seq_1_to_300",
  "INSERT INTO item SELECT 1000000 + seq * 13, seq % 3, seq, CONCAT('far', seq) FROM seq_1_to_50",
];

function batched(id: string, op: BatchedStep['op'], driving: BatchedStep['driving'], target: string, sql: string): BatchedStep {
  return { kind: 'batched', id, title: id, op, driving, target, sql };
}

async function check(name: string, setup: string[], step: Step, plain: string, tables: string[], batchRows = 7): Promise<void> {
  const t = await twins(name, setup);
  try {
    const events: MigrateEvent[] = [];
    const res = await runMigration(options(t.run, { steps: [step], batchRows, onEvent: (e) => events.push(e) }));
    assert.equal(res.status, 'done', res.error?.message);
    await t.ref.conn.query(plain);
    for (const table of tables) {
      assert.equal(await tableHash(t.run.conn, t.run.address.database, table), await tableHash(t.ref.conn, t.ref.address.database, table), `${name}: table ${table} differs`);
    }
    const batches = events.filter((e) => e.event === 'batch');
    assert.ok(batches.length >= 1);
    assert.ok(res.steps[0]!.largestTransaction <= Math.max(batchRows, 1) * 3, 'a transaction stays near batchRows');
    // Re-run after completion: nothing runs, nothing changes.
    const before = await Promise.all(tables.map((tb) => tableHash(t.run.conn, t.run.address.database, tb)));
    const again = await runMigration(options(t.run, { steps: [step], batchRows }));
    assert.equal(again.status, 'done');
    assert.equal(again.resumed, true);
    assert.deepEqual(again.steps.map((s) => s.status), ['skipped']);
    assert.deepEqual(await Promise.all(tables.map((tb) => tableHash(t.run.conn, t.run.address.database, tb))), before);
  } finally {
    await t.close();
  }
}

test('batched UPDATE with a filter over sparse ids = the plain UPDATE', { skip }, async () => {
  await check(
    'update',
    SPARSE,
    { ...batched('u', 'update', { table: 'item', alias: 'i', key: ['id'], where: 'i.grp IN (1, 2)' }, 'item', "UPDATE item AS i SET i.n = i.n * 2 + 1, i.label = CONCAT(IFNULL(i.label, '-'), '?') WHERE {range}") },
    "UPDATE item AS i SET i.n = i.n * 2 + 1, i.label = CONCAT(IFNULL(i.label, '-'), '?') WHERE i.grp IN (1, 2)",
    ['item'],
  );
});

test('batched multi-table UPDATE ... JOIN = the plain statement', { skip }, async () => {
  const setup = [...SPARSE, 'CREATE TABLE grp (id INT PRIMARY KEY, name VARCHAR(10) NOT NULL, active TINYINT NOT NULL)', "INSERT INTO grp VALUES (0,'zero',1),(1,'one',0),(2,'two',1),(3,'three',1)"];
  await check(
    'join',
    setup,
    batched('j', 'update', { table: 'item', alias: 'i', key: ['id'] }, 'item', 'UPDATE item i JOIN grp g ON g.id = i.grp SET i.label = CONCAT(g.name, \':\', i.n) WHERE {range} AND g.active = 1'),
    "UPDATE item i JOIN grp g ON g.id = i.grp SET i.label = CONCAT(g.name, ':', i.n) WHERE g.active = 1",
    ['item', 'grp'],
    5,
  );
});

test('batched INSERT ... SELECT (into an AUTO_INCREMENT table) = the plain statement', { skip }, async () => {
  const setup = [...SPARSE, 'CREATE TABLE copy (cid INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL, doubled INT NOT NULL)'];
  await check(
    'copy',
    setup,
    batched('c', 'copy', { table: 'item', alias: 'i', key: ['id'], where: 'i.n % 3 = 0' }, 'copy', 'INSERT INTO copy (item_id, doubled) SELECT i.id, i.n * 2 FROM item i WHERE {range} ORDER BY i.id'),
    'INSERT INTO copy (item_id, doubled) SELECT i.id, i.n * 2 FROM item i WHERE i.n % 3 = 0 ORDER BY i.id',
    ['item', 'copy'],
  );
});

test('batched DELETE = the plain DELETE', { skip }, async () => {
  await check('delete', SPARSE, batched('d', 'delete', { table: 'item', alias: 'item', key: ['id'], where: 'item.n % 5 <> 1' }, 'item', 'DELETE FROM item WHERE {range}'), 'DELETE FROM item WHERE item.n % 5 <> 1', ['item'], 9);
});

test('composite key: batched UPDATE = the plain UPDATE', { skip }, async () => {
  const setup = [
    'CREATE TABLE tag_map (patch_id INT NOT NULL, tag_id INT NOT NULL, cnt INT NOT NULL, PRIMARY KEY (patch_id, tag_id))',
    'INSERT INTO tag_map SELECT a.seq, b.seq * 3, a.seq + b.seq FROM seq_1_to_40 a JOIN seq_1_to_9 b WHERE (a.seq + b.seq) % 4 <> 0',
  ];
  await check('composite', setup, batched('m', 'update', { table: 'tag_map', alias: 't', key: ['patch_id', 'tag_id'] }, 'tag_map', 'UPDATE tag_map t SET t.cnt = t.cnt * 10 + t.tag_id WHERE {range}'), 'UPDATE tag_map t SET t.cnt = t.cnt * 10 + t.tag_id', ['tag_map'], 4);
});

test('string key (case-insensitive collation, quotes, unicode): batched UPDATE = the plain UPDATE', { skip }, async () => {
  const setup = [
    'CREATE TABLE users (username VARCHAR(60) NOT NULL PRIMARY KEY, visits INT NOT NULL) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci',
    "INSERT INTO users VALUES ('alice',1),('Bob',2),('carol',3),('o''brien',4),('Zoë',5),('ß',6),('zed',7),('a b',8),('A-c',9),('émile',10),('x?y',11),('back\\\\slash',12)",
  ];
  await check('string', setup, batched('s', 'update', { table: 'users', alias: 'u', key: ['username'] }, 'users', 'UPDATE users u SET u.visits = u.visits * 3 WHERE {range}'), 'UPDATE users u SET u.visits = u.visits * 3', ['users'], 2);
});

test('empty table and single-row table: one final chunk each', { skip }, async () => {
  const db = await testDatabase('t_mig_tiny');
  try {
    await db.conn.query('CREATE TABLE e (id INT PRIMARY KEY, n INT)');
    await db.conn.query('CREATE TABLE one (id INT PRIMARY KEY, n INT)');
    await db.conn.query('INSERT INTO one VALUES (42, 1)');
    const res = await runMigration(
      options(db, {
        steps: [
          batched('e', 'update', { table: 'e', alias: 'e', key: ['id'] }, 'e', 'UPDATE e SET n = n + 1 WHERE {range}'),
          batched('o', 'update', { table: 'one', alias: 'one', key: ['id'] }, 'one', 'UPDATE one SET n = n + 1 WHERE {range}'),
        ],
        batchRows: 1,
      }),
    );
    assert.equal(res.status, 'done');
    assert.deepEqual(res.steps.map((s) => [s.rows, s.batches]), [[0, 1], [1, 2]]);
    assert.equal((await q(db.conn, 'SELECT n FROM one'))[0]!['n'], 2);
  } finally {
    await db.close();
  }
});

const SAMPLE_SCHEMA = [
  'CREATE TABLE auth_user (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(150) NOT NULL UNIQUE)',
  'CREATE TABLE patchwork_state (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)',
  'CREATE TABLE patchwork_patch (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, content LONGTEXT NULL, state_id INT NULL, submitter_id INT NOT NULL)',
  'CREATE TABLE patchwork_patchtag (id INT AUTO_INCREMENT PRIMARY KEY, patch_id INT NOT NULL, tag_id INT NOT NULL, count INT NOT NULL, UNIQUE KEY patch_tag (patch_id, tag_id))',
  'CREATE TABLE patchwork_comment (id INT AUTO_INCREMENT PRIMARY KEY, patch_id INT NOT NULL, submitter_id INT NULL, content LONGTEXT NULL)',
  "INSERT INTO auth_user (username) SELECT CONCAT('user', seq) FROM seq_1_to_5",
  "INSERT INTO patchwork_state (name) VALUES ('New'), ('Accepted'), ('Superseded')",
  "INSERT INTO patchwork_patch (id, name, content, state_id, submitter_id) SELECT seq * 3, CONCAT('[PATCH] fix ', seq), IF(seq % 4 = 0, 'Acked-by: someone', 'diff'), 1 + seq % 3, 1 + seq % 5 FROM seq_1_to_2000",
  'INSERT INTO patchwork_comment (patch_id, submitter_id, content) SELECT seq * 3, IF(seq % 6 = 0, NULL, 1 + seq % 5), \'lgtm\' FROM seq_1_to_2000',
];

const SAMPLE_FILE = new URL('../../examples/sqlmigrate-0042.sql', import.meta.url);

test('a sqlmigrate file: plan merges DDL and batches DML; the run equals running the file as is', { skip }, async () => {
  const t = await twins('sqlfile', SAMPLE_SCHEMA);
  const dir = mkdtempSync(join(tmpdir(), 'drydock-sqlfile-'));
  try {
    const file = join(dir, 'sqlmigrate-0042.sql');
    writeFileSync(file, readFileSync(SAMPLE_FILE));
    const base = options(t.run, { sqlFile: file, batchRows: 500, planOptions: { batchRows: 500 } });
    // Planned from the example's own path (the fingerprint is the content, so the copy resumes it).
    const text = renderPlanText(await planMigration({ ...base, sqlFile: 'examples/sqlmigrate-0042.sql' }));
    const plan = await planMigration(base);
    if (process.env['DRYDOCK_PRINT_PLAN']) console.log(text);
    assert.match(text, /ALTER TABLE `patchwork_patch` ALTER COLUMN `archived` DROP DEFAULT, ADD COLUMN `delegate_id` integer NULL, ADD CONSTRAINT/);
    assert.deepEqual(plan.steps.map((s) => (s.step.kind === 'batched' ? s.step.op : s.step.kind === 'sql' && s.step.unbatched ? 'unbatched' : s.step.kind)), [
      'ddl',
      'ddl',
      'update',
      'copy',
      'delete',
      'unbatched',
    ]);
    const upd = plan.steps[2]!;
    assert.equal(upd.estimate.exact, true);
    assert.equal(upd.estimate.rows, 667);
    assert.equal(upd.estimate.batches, 2);

    // The unbatched UPDATE ... LIMIT is refused before anything runs.
    await assert.rejects(runMigration(base), (e: unknown) => e instanceof ConfigError && /--allow-unbatched/.test(e.hint ?? '') && /ORDER BY\/LIMIT/.test(e.message));
    assert.equal((await q(t.run.conn, "SHOW COLUMNS FROM patchwork_patch LIKE 'archived'")).length, 0);

    const res = await runMigration({ ...base, allowUnbatched: true });
    assert.equal(res.status, 'done', res.error?.message);
    // The reference: the file as the mysql client would run it.
    const sql = readFileSync(file, 'utf8').replace(/^--.*$/gm, '');
    for (const s of sql.split(';').map((x) => x.trim()).filter(Boolean)) await t.ref.conn.query(s);
    for (const table of ['patchwork_patch', 'patchwork_patchtag', 'patchwork_comment']) {
      assert.equal(await tableHash(t.run.conn, t.run.address.database, table), await tableHash(t.ref.conn, t.ref.address.database, table), table);
    }
    const create = async (c: Connection) => String((await q(c, 'SHOW CREATE TABLE patchwork_patch'))[0]!['Create Table']);
    assert.equal(await create(t.run.conn), await create(t.ref.conn));
    // Every DDL step has a probe, and it recognises the applied DDL (so a crash right after it does
    // not re-run it), the merged one with its ALTER COLUMN ... DROP DEFAULT included.
    const probes = plan.steps.flatMap((s) => (s.step.kind === 'ddl' && s.step.appliedWhen ? [s.step.appliedWhen] : []));
    assert.equal(probes.length, plan.steps.filter((s) => s.step.kind === 'ddl').length);
    assert.equal(probes.length, 2);
    for (const p of probes) assert.equal((await q(t.run.conn, p)).length, 1);
    assert.equal((await q(t.ref.conn, probes[0]!)).length, 1);

    // The stored plan is replayed; other inputs are refused with a way out.
    const again = await planMigration(base);
    assert.equal(again.stored, true);
    writeFileSync(file, readFileSync(SAMPLE_FILE, 'utf8') + '\nDELETE FROM patchwork_comment;\n');
    // While the stored plan is unfinished, other inputs would mix two migrations: refused.
    await t.run.conn.query(`DELETE FROM ${CHECKPOINT_TABLE} ORDER BY step_id DESC LIMIT 1`);
    await assert.rejects(runMigration({ ...base, allowUnbatched: true }), (e: unknown) => e instanceof ConfigError && /different inputs/.test(e.message) && /--fresh/.test(e.hint ?? ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  }
});

test('a second runner on the same database is refused while the lock is held', { skip }, async () => {
  const db = await testDatabase('t_mig_lock');
  const other = await testDatabase('t_mig_lock_holder');
  try {
    await db.conn.query('CREATE TABLE a (id INT PRIMARY KEY)');
    const [r] = await other.conn.query("SELECT GET_LOCK('drydock:t_mig_lock', 0) AS got");
    assert.equal(Number((r as Row[])[0]!['got']), 1);
    const steps: Step[] = [batched('x', 'delete', { table: 'a', alias: 'a', key: ['id'] }, 'a', 'DELETE FROM a WHERE {range}')];
    await assert.rejects(runMigration(options(db, { steps })), (e: unknown) => e instanceof StageError && /another drydock migrate is running/.test(e.message));
    await other.conn.query("SELECT RELEASE_LOCK('drydock:t_mig_lock')");
    assert.equal((await runMigration(options(db, { steps }))).status, 'done');
  } finally {
    await other.close();
    await db.close();
  }
});

test('a failing batch: StageError with step, batch and key range; the fix-and-re-run resumes after the last committed batch', { skip }, async () => {
  const db = await testDatabase('t_mig_fail');
  try {
    await db.conn.query('CREATE TABLE src (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.conn.query('INSERT INTO src SELECT seq, seq FROM seq_1_to_100');
    await db.conn.query('CREATE TABLE dst (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.conn.query('INSERT INTO dst VALUES (55, -1)'); // a conflicting row in the 6th batch
    const steps: Step[] = [batched('copy-src', 'copy', { table: 'src', alias: 's', key: ['id'] }, 'dst', 'INSERT INTO dst (id, v) SELECT s.id, s.v FROM src s WHERE {range}')];
    const res = await runMigration(options(db, { steps, batchRows: 10 }));
    assert.equal(res.status, 'failed');
    assert.equal(res.steps[0]!.status, 'failed');
    assert.equal(res.steps[0]!.batches, 5);
    assert.ok(res.error instanceof StageError);
    assert.match(res.error.message, /step copy-src failed, batch 6 on driving table src, key range \(50, 60\]: Duplicate entry '55'/);
    assert.match(res.error.hint ?? '', /resumes after the last committed batch/);
    assert.equal((await q(db.conn, 'SELECT COUNT(*) AS n FROM dst'))[0]!['n'], '51');
    await db.conn.query('DELETE FROM dst WHERE id = 55');
    const fixed = await runMigration(options(db, { steps, batchRows: 10 }));
    assert.equal(fixed.status, 'done');
    assert.equal(fixed.steps[0]!.batches, 11);
    assert.equal((await q(db.conn, 'SELECT COUNT(*) AS n, SUM(v) AS s FROM dst'))[0]!['s'], '5050');
  } finally {
    await db.close();
  }
});

test('abort between batches: status interrupted, the re-run finishes with the same result', { skip }, async () => {
  const t = await twins('abort', SPARSE);
  try {
    const steps: Step[] = [
      { kind: 'ddl', id: 'add-col', title: 'add col', table: 'item', statements: ['ALTER TABLE item ADD COLUMN twice INT NULL'] },
      batched('fill', 'update', { table: 'item', alias: 'item', key: ['id'] }, 'item', 'UPDATE item SET twice = n * 2, n = n + 1 WHERE {range}'),
    ];
    const ac = new AbortController();
    let seen = 0;
    const first = await runMigration(
      options(t.run, {
        steps,
        batchRows: 10,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.event === 'batch' && ++seen === 3) ac.abort();
        },
      }),
    );
    assert.equal(first.status, 'interrupted');
    assert.deepEqual(first.steps.map((s) => s.status), ['done', 'interrupted']);
    assert.equal(first.steps[1]!.batches, 3);
    const second = await runMigration(options(t.run, { steps, batchRows: 10 }));
    assert.equal(second.status, 'done');
    assert.deepEqual(second.steps.map((s) => s.status), ['skipped', 'done']);
    await t.ref.conn.query('ALTER TABLE item ADD COLUMN twice INT NULL');
    await t.ref.conn.query('UPDATE item SET twice = n * 2, n = n + 1');
    assert.equal(await tableHash(t.run.conn, t.run.address.database, 'item'), await tableHash(t.ref.conn, t.ref.address.database, 'item'));
    const cp = await q(t.run.conn, `SELECT step_id, status FROM ${CHECKPOINT_TABLE} ORDER BY step_id`);
    assert.deepEqual(cp.map((r) => [r['step_id'], r['status']]), [['add-col', 'done'], ['fill', 'done']]);
    assert.equal((await q(t.run.conn, `SELECT COUNT(*) AS n FROM ${PLAN_TABLE}`))[0]!['n'], '1');
  } finally {
    await t.close();
  }
});

test('abort during a long statement: it is killed in the server at once, rolled back, and its step left to run again', { skip }, async () => {
  const t = await twins('abort-long', SPARSE);
  try {
    // A statement that would run for a minute; the abort must not wait for it.
    const steps: Step[] = [
      { kind: 'sql', id: 'slow', title: 'slow', statements: ['UPDATE item SET n = n + 1 WHERE SLEEP(60) = 0'] },
    ];
    const ac = new AbortController();
    const started = Date.now();
    const running = runMigration(options(t.run, { steps, signal: ac.signal, onEvent: (e) => e.event === 'step-start' && setTimeout(() => ac.abort(), 300) }));
    const first = await running;
    assert.equal(first.status, 'interrupted');
    assert.ok(Date.now() - started < 20_000, `stopped in ${Date.now() - started} ms, not after the statement`);
    const busy = await q(t.run.conn, "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE item SET n = n + 1%'");
    assert.deepEqual(busy, [], 'nothing of it still runs in the server');
    const cp = await q(t.run.conn, `SELECT status FROM ${CHECKPOINT_TABLE} WHERE step_id = 'slow'`);
    assert.notEqual(cp[0]?.['status'], 'done');
    assert.equal(await tableHash(t.run.conn, t.run.address.database, 'item'), await tableHash(t.ref.conn, t.ref.address.database, 'item'), 'rolled back');
  } finally {
    await t.close();
  }
});

test('a stored plan made by another drydock version is replayed as stored, and the plan event says by which', { skip }, async () => {
  const t = await twins('plan-version', SPARSE);
  try {
    const steps: Step[] = [batched('fill', 'update', { table: 'item', alias: 'item', key: ['id'] }, 'item', 'UPDATE item SET n = n + 1 WHERE {range}')];
    const ac = new AbortController();
    const first = await runMigration(options(t.run, { steps, signal: ac.signal, onEvent: (e) => e.event === 'batch' && ac.abort() }));
    assert.equal(first.status, 'interrupted');
    const fresh: unknown[] = [];
    await t.run.conn.query(`UPDATE ${PLAN_TABLE} SET plan = JSON_SET(plan, '$.drydock', '0.0.9')`);
    const second = await runMigration(options(t.run, { steps, onEvent: (e) => e.event === 'plan' && fresh.push(e) }));
    assert.equal(second.status, 'done');
    assert.deepEqual(fresh, [{ event: 'plan', database: t.run.address.database, steps: 1, stored: true, source: 'steps', madeBy: '0.0.9' }]);
  } finally {
    await t.close();
  }
});

test('an unrecorded DDL step whose effect is present (crash after the ALTER) is not re-run', { skip }, async () => {
  const db = await testDatabase('t_mig_ddlprobe');
  try {
    await db.conn.query('CREATE TABLE a (id INT PRIMARY KEY)');
    const steps: Step[] = [
      {
        kind: 'ddl',
        id: 'add-x',
        title: 'add x',
        table: 'a',
        statements: ['ALTER TABLE a ADD COLUMN x INT'],
        appliedWhen: "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'a' AND COLUMN_NAME = 'x'",
      },
    ];
    const res = await runMigration(options(db, { steps }));
    assert.equal(res.status, 'done');
    // Simulate the crash window: the ALTER committed, the checkpoint still says 'running'.
    await db.conn.query(`UPDATE ${CHECKPOINT_TABLE} SET status = 'running', batches = 0`);
    const again = await runMigration(options(db, { steps }));
    assert.equal(again.status, 'done', again.error?.message);
    assert.deepEqual(again.steps.map((s) => s.status), ['skipped']);
  } finally {
    await db.close();
  }
});

test('a pack plans once from the untouched database; re-runs replay the stored plan; a finished plan gives way to the next', { skip }, async () => {
  const db = await testDatabase('t_mig_pack');
  try {
    await db.conn.query('CREATE TABLE django_migrations (id INT AUTO_INCREMENT PRIMARY KEY, app VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, applied DATETIME(6) NOT NULL)');
    await db.conn.query("INSERT INTO django_migrations (app, name, applied) VALUES ('patchwork', '0001_initial', NOW())");
    await db.conn.query('CREATE TABLE p (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.conn.query('INSERT INTO p SELECT seq, seq FROM seq_1_to_30');
    const contexts: PlanContext[] = [];
    const pack: Pack = {
      name: 'fake',
      versions: ['1', '2'],
      recognises: () => true,
      detect: async () => ({ version: '1', drift: [] }),
      invariants: () => [],
      async plan(ctx) {
        contexts.push(ctx);
        if (ctx.options.to === '3') return [{ kind: 'ddl', id: 'add-x', title: 'add x', table: 'p', statements: ['ALTER TABLE p ADD COLUMN x INT NULL'] }];
        // Plans from what it finds: a re-plan of the migrated database would differ.
        const [row] = await ctx.query('SELECT COUNT(*) AS n FROM p WHERE v < 100');
        return [
          { kind: 'ddl', id: 'add-w', title: 'add w', table: 'p', statements: ['ALTER TABLE p ADD COLUMN w INT NULL'] },
          batched(`bump-${String(row!['n'])}`, 'update', { table: 'p', alias: 'p', key: ['id'] }, 'p', 'UPDATE p SET v = v + 100, w = v WHERE {range}'),
        ];
      },
    };
    const o = options(db, { pack, planOptions: { batchRows: 7, to: '2' } });
    const first = await runMigration(o);
    assert.equal(first.status, 'done');
    assert.equal(contexts.length, 1);
    assert.deepEqual(contexts[0]!.applied, [{ app: 'patchwork', name: '0001_initial' }]);
    assert.ok(contexts[0]!.schema.tables.has('p'));
    assert.ok(!contexts[0]!.schema.tables.has(CHECKPOINT_TABLE));
    await assert.rejects(contexts[0]!.query('DELETE FROM p'), /read-only/);
    const again = await runMigration({ ...o, batchRows: 3 }); // batch size may change between runs
    assert.equal(contexts.length, 1, 'the stored plan is replayed, not re-planned');
    assert.deepEqual(again.steps.map((s) => [s.id, s.status]), [['add-w', 'skipped'], ['bump-30', 'skipped']]);
    // A finished plan is retired by the next migration with other options: nothing is left to resume.
    const next = await runMigration({ ...o, planOptions: { batchRows: 7, to: '3' } });
    assert.equal(next.status, 'done');
    assert.equal(next.resumed, false);
    assert.equal(contexts.length, 2, 'a new plan was made');
  } finally {
    await db.close();
  }
});

test('batch size adapts toward batchSeconds, damped, between the floor and batchRows', () => {
  const o = { batchRows: 5000, batchSeconds: 0.5, floor: 100 };
  assert.equal(nextBatchSize(5000, 2, o), 2500); // 4x too slow: halved, not quartered
  assert.equal(nextBatchSize(1000, 0.1, o), 2000); // 5x too fast: doubled
  assert.equal(nextBatchSize(4000, 0.25, o), 5000); // never above batchRows
  assert.equal(nextBatchSize(150, 10, o), 100); // never below the floor
  assert.equal(nextBatchSize(1000, 0.5, o), 1000);
  assert.equal(nextBatchSize(5000, 9, { ...o, batchSeconds: 0 }), 5000); // 0 = fixed size
  assert.equal(nextBatchSize(50, 9, { batchRows: 50, batchSeconds: 0.5, floor: 100 }), 50); // batchRows below the floor wins
});

test('the server drops the runner mid-step: a StageError saying so, and the re-run resumes', { skip }, async () => {
  const t = await twins('killconn', SPARSE);
  const killer = await testDatabase('t_mig_killconn_killer');
  try {
    const steps: Step[] = [batched('bump', 'update', { table: 'item', alias: 'item', key: ['id'] }, 'item', 'UPDATE item SET n = n * 2 + 1 WHERE {range}')];
    let killing: Promise<unknown> | undefined;
    const res = await runMigration(
      options(t.run, {
        steps,
        batchRows: 1,
        onEvent: (e) => {
          // The lock names the runner's connection: kill it from outside, as a server restart would.
          if (e.event === 'batch' && e.batch === 2) {
            killing = killer.conn
              .query("SELECT IS_USED_LOCK('drydock:t_mig_killconn') AS id")
              .then(([r]) => killer.conn.query(`KILL CONNECTION ${String((r as Row[])[0]!['id'])}`));
          }
        },
      }),
    );
    await killing;
    assert.equal(res.status, 'failed');
    assert.match(res.error?.message ?? '', /the server went away during step bump, batch \d+ on driving table item/);
    assert.match(res.error?.hint ?? '', /resumes after the last committed batch/);
    const again = await runMigration(options(t.run, { steps, batchRows: 50 }));
    assert.equal(again.status, 'done');
    await t.ref.conn.query('UPDATE item SET n = n * 2 + 1');
    assert.equal(await tableHash(t.run.conn, t.run.address.database, 'item'), await tableHash(t.ref.conn, t.ref.address.database, 'item'));
  } finally {
    await killer.close();
    await t.close();
  }
});

test('neither steps, pack nor a SQL file: ConfigError', async () => {
  await assert.rejects(
    runMigration({ address: { user: 'root', host: 'localhost', port: 0, database: 'x' }, planOptions: { batchRows: 1 }, batchRows: 1, batchSeconds: 0, allowUnbatched: false }),
    (e: unknown) => e instanceof ConfigError && /nothing to migrate/.test(e.message),
  );
});
