/**
 * The benchmark harness end to end at a tiny size: it runs, measures every available tool, and
 * writes results with the expected shape and ratios. Times are never asserted (they are whatever
 * the machine gives); only that they were measured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip } from '../helpers/db.js';
import { packProblem } from '../../scripts/bench/comparisons.js';
import type { BenchResults } from '../../scripts/bench/report.js';

test('bench: import, migrate and export at 200 patches write results JSON and Markdown with ratios', { skip, timeout: 900_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'drydock-bench-smoke-'));
  try {
    const work = join(root, 'work');
    const results = join(root, 'results');
    const r = await execa(process.execPath, ['--import', 'tsx', 'scripts/bench/bench.ts', 'all', '--patches', '200', '--rounds', '1', '--work-dir', work, '--results-dir', results], {
      reject: false,
      all: true,
    });
    assert.equal(r.exitCode, 0, r.all);

    const files = readdirSync(results).sort();
    const json = files.find((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f));
    assert.ok(json, `no <date>.json in ${files.join(', ')}`);
    assert.ok(files.includes(json.replace('.json', '.md')));
    assert.ok(files.includes('latest.md'));
    const res = JSON.parse(readFileSync(join(results, json), 'utf8')) as BenchResults;

    assert.equal(res.data.patches, 200);
    assert.ok(res.data.rows > 200 && res.data.dumpBytes > 0);
    assert.ok(res.machine.cores >= 1 && res.machine.memoryBytes > 0 && res.machine.cpuModel && res.machine.node.startsWith('v'));
    assert.match(res.machine.server, /\d+\.\d+/);
    assert.ok(res.serverOptions?.['innodb_buffer_pool_size'], 'the server options of the runs are recorded');

    const packOk = (await packProblem()) === undefined;
    assert.deepEqual(
      res.comparisons.map((c) => c.name),
      ['import', 'migrate', 'export'],
    );
    for (const c of res.comparisons) {
      const drydock = c.tools.find((t) => t.role === 'drydock');
      assert.ok(drydock, `${c.name}: no drydock entry`);
      if (c.name === 'migrate' && !packOk) {
        assert.equal(drydock.status, 'skipped');
        continue;
      }
      assert.equal(drydock.status, 'measured', `${c.name}: drydock ${drydock.status}: ${drydock.reason ?? ''}`);
      assert.equal(drydock.rounds.length, 1);
      assert.ok(drydock.median && Number.isFinite(drydock.median.seconds) && drydock.median.seconds > 0);
      // drydock runs in its own process: its peak RSS is measured, and the server's apart from it.
      assert.ok(drydock.median.peakRssBytes > 10e6, `${c.name}: drydock RSS ${drydock.median.peakRssBytes}`);
      assert.ok((drydock.median.serverPeakRssBytes ?? 0) > drydock.median.peakRssBytes / 10);
      assert.equal(typeof drydock.median.rowsPerSecond, 'number');
      assert.ok(c.tools.some((t) => t.role === 'baseline'), `${c.name}: no baseline`);
      for (const t of c.tools.filter((x) => x.role === 'baseline')) {
        if (t.status === 'skipped') {
          assert.ok(t.reason, `${c.name} ${t.tool}: skipped without a reason`);
          continue;
        }
        assert.equal(t.status, 'measured', `${c.name} ${t.tool}: ${t.reason ?? ''}`);
        assert.ok(t.median, `${c.name} ${t.tool}: no median`);
        assert.equal(t.ratio, Math.round((drydock.median.seconds / t.median.seconds) * 1000) / 1000);
        // One round: the same-round ratio is that round's, which is also the ratio of the medians.
        assert.deepEqual(t.pairedRatios, [t.ratio]);
        assert.equal(t.pairedRatio, t.ratio);
      }
      // The CPU of the tool's own processes (reaped children) and of the server are both counted.
      assert.ok((drydock.median.cpuSeconds ?? 0) > 0, `${c.name}: drydock CPU ${drydock.median.cpuSeconds}`);
      assert.ok((drydock.median.serverCpuSeconds ?? -1) >= 0, `${c.name}: server CPU ${drydock.median.serverCpuSeconds}`);
    }
    const imp = res.comparisons.find((c) => c.name === 'import')!;
    assert.ok(imp.tools.find((t) => t.tool === 'mysql client')?.status === 'measured');
    assert.equal(imp.targets.length, 4);
    // The splitter alone is measured over the same dump, as a floor target.
    assert.ok(imp.splitter && 'medianMbps' in imp.splitter, `splitter: ${JSON.stringify(imp.splitter)}`);
    assert.equal(imp.splitter.mbps.length, 1);
    assert.ok(imp.splitter.medianMbps > 0 && imp.splitter.statements > 0);
    const sp = imp.targets.find((t) => t.target.startsWith('splitter'));
    assert.equal(sp?.atLeast, true);
    assert.equal(sp?.met, imp.splitter.medianMbps >= 400);
    if (packOk) {
      const mig = res.comparisons.find((c) => c.name === 'migrate')!;
      assert.equal(typeof mig.tools.find((t) => t.role === 'drydock')!.rounds[0]!.extra?.['largestTransaction'], 'number');
    }
    const md = readFileSync(join(results, 'latest.md'), 'utf8');
    assert.match(md, /\| tool \| wall s \(median\)/);
    assert.match(md, /## import/);
    assert.match(md, /- splitter alone: \d+ MB\/s wall/);
    // Every server the harness started is gone with its directory.
    assert.deepEqual(existsSync(join(work, 'servers')) ? readdirSync(join(work, 'servers')) : [], []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
