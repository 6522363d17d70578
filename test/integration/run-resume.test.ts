/**
 * The whole pipeline killed with SIGKILL in the middle of its migration, then run again with the
 * same command: it resumes from the checkpoints and produces the same result as a run that was
 * never interrupted (every table's rows and checksum; django_migrations' `applied` times aside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip } from '../helpers/db.js';
import { drydock, drydockSync, isAlive, waitFor } from '../helpers/cli.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import type { Manifest } from '../../pipeline/stages/export.js';

function tables(out: string): Array<[string, number, string]> {
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
  // `applied` is NOW(6) at each run: compare django_migrations by its rows only.
  return m.tables.map((t) => [t.name, t.rows, t.name === 'django_migrations' ? '-' : t.checksum]);
}

test('run killed with SIGKILL mid-migration resumes to the same result as an uninterrupted run', { skip, timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-run-resume-'));
  try {
    const dump = join(tmp, 'pw.sql');
    await generatePatchworkToFile({ patches: 3000, version: '1.0', seed: 11 }, dump);
    const common = ['--dump', dump, '--to', '2.1', '--batch-rows', '200', '--batch-seconds', '60'];

    const straight = drydockSync(['run', ...common, '--out', join(tmp, 'straight'), '--run-dir', join(tmp, 'r1')]);
    assert.equal(straight.status, 0, straight.stderr);

    const runDir = join(tmp, 'r2');
    const out = join(tmp, 'resumed');
    const first = drydock(['run', ...common, '--out', out, '--run-dir', runDir]);
    const log = join(runDir, 'run.log');
    // Kill inside a batched data move of the migration (0007 or later), not between stages.
    await waitFor(() => existsSync(log) && /"type":"migrate-progress".*"stepId":"patchwork\.00(0[7-9]|1)/.test(readFileSync(log, 'utf8')), 120_000, 'a batch of the migration', first);
    const serverPid = Number(readFileSync(join(runDir, 'server', 'mysqld.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await first.exit;
    assert.equal(existsSync(join(out, 'manifest.json')), false, 'no result from the killed run');
    await waitFor(() => !isAlive(serverPid), 60_000, 'the watchdog to stop the orphaned server');

    const again = drydockSync(['run', ...common, '--out', out, '--run-dir', runDir, '--json']);
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout) as { stages: Array<{ name: string; status: string; detail?: Record<string, unknown> }> };
    assert.equal(result.stages.find((s) => s.name === 'import')?.status, 'skipped', 'the import is not repeated');
    const migrate = result.stages.find((s) => s.name === 'migrate');
    assert.equal(migrate?.status, 'done');
    assert.equal(migrate?.detail?.['resumed'], true, 'the stored plan was resumed');
    assert.ok(Number(migrate?.detail?.['stepsSkipped']) > 0, 'steps finished before the kill are not run again');
    assert.ok(Number(migrate?.detail?.['largestTransaction']) <= 200);
    assert.deepEqual(tables(out), tables(join(tmp, 'straight')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
