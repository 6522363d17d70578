/**
 * Crash safety: a child process running the migration is SIGKILLed at seeded random points (mid
 * transaction or between batches), then re-run to completion; the result must equal an
 * uninterrupted run exactly, every time. The steps (test/fixtures/migrate-child.ts) are not
 * idempotent, so a batch applied twice or skipped shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'mysql2/promise';
import { skip, testDatabase } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';

const CHILD = fileURLToPath(new URL('../fixtures/migrate-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BATCH_ROWS = 100;
const ITERATIONS = 10;

/** mulberry32: a tiny seeded PRNG, so a failing kill schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function seed(db: TestDatabase): Promise<void> {
  await db.reset();
  await db.conn.query('CREATE TABLE item (id INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)');
  await db.conn.query('INSERT INTO item SELECT seq * 3 + (seq % 7), seq FROM seq_1_to_6000');
  await db.conn.query('CREATE TABLE log (cid INT AUTO_INCREMENT PRIMARY KEY, item_id INT NOT NULL, n BIGINT NOT NULL)');
  await db.conn.query('CREATE TABLE counter (c INT NOT NULL)');
  await db.conn.query('INSERT INTO counter VALUES (0)');
}

/** Every row of every table, in order (log's AUTO_INCREMENT ids are left out: a rolled-back batch burns ids). */
async function state(conn: Connection): Promise<string> {
  await conn.query('SET SESSION group_concat_max_len = 1073741824');
  const [r] = await conn.query(
    `SELECT (SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(id, ',', n, ',', IFNULL(v2, 'N') ORDER BY id SEPARATOR ';'))) FROM item) AS item,
            (SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(item_id, ',', n ORDER BY cid SEPARATOR ';'))) FROM log) AS log,
            (SELECT GROUP_CONCAT(c) FROM counter) AS counter`,
  );
  return JSON.stringify((r as unknown[])[0]);
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  batches: number;
}

/** Runs the child; with `killAfter`, SIGKILLs it `delayMs` after its killAfter-th committed batch. */
function runChild(socket: string, database: string, killAfter?: number, delayMs = 0): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, socket, database, String(BATCH_ROWS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let batches = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('batch ')) return;
      batches++;
      if (killAfter !== undefined && batches === killAfter) {
        if (delayMs === 0) child.kill('SIGKILL');
        else setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && code !== 3 && signal === null) reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve({ code, signal, batches });
    });
  });
}

/** Runs to completion; a killed predecessor's lock lasts until the server notices its socket closed. */
async function runToEnd(socket: string, database: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = await runChild(socket, database);
    if (r.code === 0) return;
    await sleep(100);
  }
  throw new Error('the lock of a killed runner was never released');
}

test('SIGKILL at random points during data steps, then a re-run: identical to an uninterrupted run, 10 out of 10', { skip, timeout: 120_000 }, async () => {
  const ref = await testDatabase('t_kill_ref');
  const run = await testDatabase('t_kill_run');
  const socket = ref.address.socket!;
  try {
    await seed(ref);
    await runToEnd(socket, 't_kill_ref');
    const expected = await state(ref.conn);
    assert.match(expected, /"counter":"1"/);

    const rand = prng(20261125);
    // 3 data steps over ~6000 rows (prune walks fewer): about 60 + 60 + 15 batches in all.
    const total = 125;
    const outcomes: string[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      await seed(run);
      const kills = 1 + Math.floor(rand() * 2);
      const schedule: string[] = [];
      for (let k = 0; k < kills; k++) {
        const after = 1 + Math.floor(rand() * total);
        const delay = Math.floor(rand() * 4); // 0 = right after a commit; 1-3 ms = usually inside the next batch
        let r: ChildRun;
        do {
          r = await runChild(socket, 't_kill_run', after, delay);
          if (r.code === 3) await sleep(100);
        } while (r.code === 3);
        schedule.push(`${after}+${delay}ms:${r.signal ?? `exit ${r.code}`}`);
      }
      await runToEnd(socket, 't_kill_run');
      const got = await state(run.conn);
      outcomes.push(`${i + 1}: kills ${schedule.join(', ')} -> ${got === expected ? 'identical' : 'DIFFERENT'}`);
      assert.equal(got, expected, `iteration ${i + 1} (kills ${schedule.join(', ')})`);
    }
    console.log(outcomes.join('\n'));
  } finally {
    await run.close();
    await ref.close();
  }
});
