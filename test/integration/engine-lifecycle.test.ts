/**
 * The local engine's promises: it starts and stops, a server crash is reported as such, SIGTERM
 * and even SIGKILL of drydock leave no server behind, and two runs at once do not collide.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip } from '../helpers/db.js';
import { drydock, isAlive, waitFor } from '../helpers/cli.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import { localEngine } from '../../pipeline/engine/local.js';
import { connect } from '../../pipeline/db/connection.js';
import { dockerAvailable, dockerEngine } from '../../pipeline/engine/docker.js';

let tmp = '';
let dump = '';
before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'drydock-lifecycle-'));
  dump = join(tmp, 'pw.sql');
  // Big enough that the import takes a few seconds, so signals land mid-run.
  await generatePatchworkToFile({ patches: 6000, version: '1.0', seed: 3 }, dump);
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function serverPid(runDir: string): number | undefined {
  const f = join(runDir, 'server', 'mysqld.pid');
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) || undefined : undefined;
}

function importStarted(runDir: string): boolean {
  const log = join(runDir, 'run.log');
  return existsSync(log) && readFileSync(log, 'utf8').includes('"stage":"import"');
}

test('start, answer, stop: no process left', { skip }, async () => {
  const s = await localEngine.start({ dir: join(tmp, 'plain'), database: 'x', memoryBytes: 1024 ** 3 });
  const c = await connect(s.address);
  const [rows] = await c.query('SELECT 1 AS one');
  assert.equal((rows as Array<{ one: number }>)[0]?.one, 1);
  await c.end();
  assert.match(s.version, /\d+\.\d+/);
  await s.stop();
  assert.equal(isAlive(s.pid!), false);
});

test('a server that dies mid-run is reported as a dead server, exit non-zero', { skip }, async () => {
  const runDir = join(tmp, 'crash');
  const run = drydock(['run', '--dump', dump, '--out', join(tmp, 'crash-out'), '--run-dir', runDir, '--importer', 'client', '--pack', 'none']);
  await waitFor(() => importStarted(runDir) && serverPid(runDir) !== undefined, 120_000, 'the import to start', run);
  process.kill(serverPid(runDir)!, 'SIGKILL');
  const { code } = await run.exit;
  assert.notEqual(code, 0);
  assert.match(run.stderr(), /server died during import/);
  assert.match(run.stderr(), /what to do:/);
  assert.equal(existsSync(join(tmp, 'crash-out', 'manifest.json')), false, 'no result presented as complete');
});

test('SIGTERM during a run stops the server and exits 130', { skip }, async () => {
  const runDir = join(tmp, 'sigterm');
  const run = drydock(['run', '--dump', dump, '--out', join(tmp, 'sigterm-out'), '--run-dir', runDir, '--importer', 'client', '--pack', 'none']);
  await waitFor(() => importStarted(runDir) && serverPid(runDir) !== undefined, 120_000, 'the import to start', run);
  const pid = serverPid(runDir)!;
  run.child.kill('SIGTERM');
  const { code } = await run.exit;
  assert.equal(code, 130, run.stderr());
  assert.equal(isAlive(pid), false, 'the server is gone');
});

test('SIGKILL of drydock: the watchdog stops the server', { skip }, async () => {
  const runDir = join(tmp, 'sigkill');
  const run = drydock(['run', '--dump', dump, '--out', join(tmp, 'sigkill-out'), '--run-dir', runDir, '--importer', 'client', '--pack', 'none']);
  await waitFor(() => importStarted(runDir) && serverPid(runDir) !== undefined, 120_000, 'the import to start', run);
  const pid = serverPid(runDir)!;
  run.child.kill('SIGKILL');
  await run.exit;
  await waitFor(() => !isAlive(pid), 60_000, 'the orphaned server to stop');
});

test('two runs at once do not collide; one run directory admits one drydock', { skip }, async () => {
  const a = drydock(['run', '--dump', dump, '--out', join(tmp, 'a-out'), '--run-dir', join(tmp, 'a'), '--pack', 'none']);
  const b = drydock(['run', '--dump', dump, '--out', join(tmp, 'b-out'), '--run-dir', join(tmp, 'b'), '--pack', 'none']);
  await waitFor(() => existsSync(join(tmp, 'a', 'lock')), 30_000, 'run a to lock its directory');
  const c = drydock(['run', '--dump', dump, '--out', join(tmp, 'c-out'), '--run-dir', join(tmp, 'a'), '--pack', 'none']);
  const [ra, rb, rc] = await Promise.all([a.exit, b.exit, c.exit]);
  assert.equal(ra.code, 0, a.stderr());
  assert.equal(rb.code, 0, b.stderr());
  assert.equal(rc.code, 2, c.stderr());
  assert.match(c.stderr(), /another drydock \(pid \d+\) is using/);
  assert.ok(existsSync(join(tmp, 'a-out', 'manifest.json')) && existsSync(join(tmp, 'b-out', 'manifest.json')));
});

test('docker engine starts a container when a Docker engine is reachable', async (t) => {
  const ok = await dockerAvailable();
  if (ok !== true) {
    t.skip(ok);
    return;
  }
  const s = await dockerEngine.start({ dir: tmp || tmpdir(), database: 'x' });
  try {
    const c = await connect(s.address);
    await c.query('SELECT 1');
    await c.end();
  } finally {
    await s.stop();
  }
});
