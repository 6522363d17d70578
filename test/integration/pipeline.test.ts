/**
 * The walking skeleton end to end: `drydock run` on a generated Patchwork dump produces out/ with a
 * dump that a second, fresh local server imports to the same per-table row counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip } from '../helpers/db.js';
import { drydockSync } from '../helpers/cli.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import { localEngine } from '../../pipeline/engine/local.js';
import { importWithClient } from '../../pipeline/stages/import-client.js';
import { summarizeTables } from '../../pipeline/stages/export.js';
import type { Manifest } from '../../pipeline/stages/export.js';

test('run: dump → throwaway server → out/, reloadable elsewhere with the same row counts; a re-run resumes', { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-pipeline-'));
  try {
    const dump = join(tmp, 'pw.sql');
    await generatePatchworkToFile({ patches: 400, version: '1.0', seed: 7 }, dump);
    const out = join(tmp, 'out');
    const runDir = join(tmp, 'run');
    const r = drydockSync(['run', '--dump', dump, '--out', out, '--run-dir', runDir, '--json', '--pack', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { ok: boolean; stages: Array<{ name: string; status: string }> };
    assert.equal(result.ok, true);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.ok(manifest.tables.length >= 20);
    assert.ok(existsSync(join(out, manifest.files[0]!.name)));
    assert.ok(!manifest.tables.some((t) => t.name.startsWith('_drydock')), 'bookkeeping tables are not exported');

    const second = await localEngine.start({ dir: join(tmp, 'second'), database: 'reloaded', memoryBytes: 1024 ** 3 });
    try {
      await importWithClient({ address: second.address, dump: join(out, manifest.files[0]!.name) });
      const reloaded = await summarizeTables(second.address);
      assert.deepEqual(
        reloaded.map((t) => [t.name, t.rows]),
        manifest.tables.map((t) => [t.name, t.rows]),
      );
      const patches = manifest.tables.find((t) => t.name === 'patchwork_patch');
      assert.equal(patches?.rows, 400);
    } finally {
      await second.stop();
    }

    // An operator's MYSQL_PWD (meant for production) must not be tried against the scratch server.
    const again = drydockSync(['run', '--dump', dump, '--out', join(tmp, 'out2'), '--run-dir', join(tmp, 'run2'), '--json', '--pack', 'none', '--importer', 'client'], { MYSQL_PWD: 'production-only' });
    assert.equal(again.status, 0, again.stderr);
    const rerun = drydockSync(['run', '--dump', dump, '--out', out, '--run-dir', runDir, '--json', '--pack', 'none']);
    assert.equal(rerun.status, 0, rerun.stderr);
    const stages = (JSON.parse(rerun.stdout) as typeof result).stages;
    assert.equal(stages.find((s) => s.name === 'import')?.status, 'skipped', 'import is not repeated on a re-run');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('run --format csv writes a CSV directory that run reads back to the same rows', { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-pipeline-csv-'));
  try {
    const csvOut = join(tmp, 'csv');
    const a = drydockSync(['run', '--dump', 'examples/patchwork-1.0-small.sql', '--out', csvOut, '--run-dir', join(tmp, 'r1'), '--pack', 'none', '--format', 'csv']);
    assert.equal(a.status, 0, a.stderr);
    const m1 = JSON.parse(readFileSync(join(csvOut, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(m1.format, 'csv');
    assert.ok(m1.files.some((f) => f.name === 'schema.sql'));
    const sqlOut = join(tmp, 'sql');
    const b = drydockSync(['run', '--dump', csvOut, '--out', sqlOut, '--run-dir', join(tmp, 'r2'), '--pack', 'none']);
    assert.equal(b.status, 0, b.stderr);
    const m2 = JSON.parse(readFileSync(join(sqlOut, 'manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(
      m2.tables.map((t) => [t.name, t.rows, t.checksum]),
      m1.tables.map((t) => [t.name, t.rows, t.checksum]),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a truncated dump stops run with exit 3, the file, byte offset and line, and no result', { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-pipeline-bad-'));
  try {
    const whole = readFileSync('examples/patchwork-1.0-small.sql');
    const cut = whole.indexOf("INSERT INTO `patchwork_patch`") + 5000;
    const dump = join(tmp, 'cut.sql');
    writeFileSync(dump, whole.subarray(0, cut));
    const out = join(tmp, 'out');
    const r = drydockSync(['run', '--dump', dump, '--out', out, '--run-dir', join(tmp, 'run'), '--pack', 'none']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /cut\.sql at byte \d+, line \d+/);
    assert.match(r.stderr, /patchwork_patch/);
    assert.match(r.stderr, /what to do:/);
    assert.equal(existsSync(join(out, 'manifest.json')), false);

    const unknown = drydockSync(['run', '--dump', 'examples/patchwork-1.0-small.sql', '--out', out, '--run-dir', join(tmp, 'run2'), '--to', '9.9']);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown Patchwork target "9\.9"/);
    assert.equal(existsSync(join(out, 'manifest.json')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('patches with a NULL state: refused before anything migrates, with the remedy; --null-state New completes', { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-pipeline-null-'));
  try {
    const dump = join(tmp, 'pw.sql');
    await generatePatchworkToFile({ patches: 300, version: '1.0', seed: 5, nullStatePatches: 4 }, dump);
    const out = join(tmp, 'out');
    const refused = drydockSync(['run', '--dump', dump, '--out', out, '--run-dir', join(tmp, 'run'), '--to', '2.1']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /state/i);
    assert.match(refused.stderr, /--null-state/);
    const state = JSON.parse(readFileSync(join(tmp, 'run', 'state.json'), 'utf8')) as { stages: Record<string, { status: string }> };
    assert.equal(state.stages['migrate']?.status, 'failed');
    assert.equal(existsSync(join(out, 'manifest.json')), false);

    const fixed = drydockSync(['run', '--dump', dump, '--out', out, '--run-dir', join(tmp, 'run2'), '--to', '2.1', '--null-state', 'New', '--json']);
    assert.equal(fixed.status, 0, fixed.stderr);
    assert.ok(existsSync(join(out, 'manifest.json')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
