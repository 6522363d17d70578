/**
 * Resume: an import stopped part-way (AbortSignal, or kill -9 of the process) is completed by a
 * re-run that loads only the tables not recorded done, and ends identical to the mysql client's
 * load. A different dump refuses to resume.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { importDump, LEDGER_TABLE, type ImportEvent } from '../../pipeline/stages/import.js';
import { StageError } from '../../pipeline/errors.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';
import { compareDatabases, loadWithClient } from './import-fixture.js';

let dir = '';
let dump = '';
let reference: TestDatabase | undefined;
let db: TestDatabase | undefined;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'drydock-import-resume-'));
  dump = join(dir, 'patchwork.sql');
  await generatePatchworkToFile({ patches: 3000, version: '1.0' }, dump);
  reference = await testDatabase('t_import_resume_ref');
  await loadWithClient(reference.address, { file: dump });
  db = await testDatabase('t_import_resume');
});

after(async () => {
  await reference?.close();
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function doneTables(): Promise<string[]> {
  const [rows] = (await db!.conn.query(`SELECT table_name FROM ${LEDGER_TABLE} WHERE done = 1 ORDER BY table_name`)) as [Array<{ table_name: string }>, unknown];
  return rows.map((r) => r.table_name);
}

/** Re-runs the import and checks that it loads exactly the tables not done before. */
async function resumeAndCompare(before: string[]): Promise<void> {
  const events: ImportEvent[] = [];
  const r = await importDump({ address: db!.address, dump, threads: 2, onEvent: (e) => events.push(e) });
  const skipped = events.flatMap((e) => (e.type === 'table-skipped' ? [e.table] : [])).sort();
  const loaded = events.flatMap((e) => (e.type === 'table-done' ? [e.table] : [])).sort();
  assert.deepEqual(skipped, before);
  assert.equal(loaded.filter((t) => before.includes(t)).length, 0);
  assert.equal(skipped.length + loaded.length, r.tables.length, JSON.stringify({ skipped, loaded, all: r.tables.map((t) => t.name) }));
  await compareDatabases(reference!, db!);
}

test('an import aborted through its signal resumes where it stopped', { skip }, async () => {
  const ac = new AbortController();
  const err = await importDump({
    address: db!.address,
    dump,
    threads: 2,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'table-done' && e.rows > 0) ac.abort();
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error && err.name === 'AbortError', String(err));
  const done = await doneTables();
  assert.ok(done.length > 0 && done.length < 20, done.join(','));
  assert.ok(!done.includes('patchwork_patch'));
  await resumeAndCompare(done);
});

test('an import killed with SIGKILL resumes where it stopped', { skip }, async () => {
  await db!.reset();
  const script = join(dir, 'child.mts');
  writeFileSync(
    script,
    `import { importDump } from ${JSON.stringify(new URL('../../pipeline/stages/import.ts', import.meta.url).pathname)};
await importDump({ address: JSON.parse(process.env.ADDR), dump: process.env.DUMP, threads: 2,
  onEvent: (e) => { if (e.type === 'table-done') process.stdout.write(JSON.stringify(e) + '\\n'); } });
`,
  );
  const child = execa(process.execPath, ['--import', 'tsx', script], {
    env: { ADDR: JSON.stringify(db!.address), DUMP: dump },
    reject: false,
    buffer: { stdout: false, stderr: true },
  });
  let seen = 0;
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { rows: number };
      if (e.rows > 0 && ++seen === 3) child.kill('SIGKILL');
    }
  });
  const r = await child;
  assert.equal(r.signal, 'SIGKILL', `the import ended before it could be killed: ${String(r.stderr).slice(0, 500)}`);
  // The server finishes (or rolls back) what the dead process had sent; wait for its sessions to go.
  for (let i = 0; i < 100; i++) {
    const [n] = (await db!.conn.query('SELECT COUNT(*) n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()')) as [Array<{ n: number }>, unknown];
    if (Number(n[0]?.n) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = await doneTables();
  assert.ok(done.length > 0 && !done.includes('patchwork_patch'), done.join(','));
  await resumeAndCompare(done);
});

test('a different dump refuses to resume, and says how to proceed', { skip }, async () => {
  await db!.reset();
  const ac = new AbortController();
  await importDump({
    address: db!.address,
    dump,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'table-done') ac.abort();
    },
  }).catch(() => undefined);
  const other = join(dir, 'other.sql');
  await generatePatchworkToFile({ patches: 10, version: '1.0', seed: 2 }, other);
  const err = await importDump({ address: db!.address, dump: other }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof StageError, String(err));
  assert.match(err.message, /different dump/);
  assert.match(err.hint ?? '', /fresh database|drop/);
});
