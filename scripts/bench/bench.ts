/**
 * drydock's benchmark against the standard tools, on generated Patchwork data:
 *
 *   npm run bench -- [import|migrate|export|all] --patches N [--rounds R]
 *   npm run bench -- scaling [--sizes 50000,100000,200000,400000]
 *
 * Writes bench/results/<date>.json, <date>.md and latest.md (scaling: scaling-<date>.json and
 * docs/bench-scaling.svg). Generated dumps and their loaded datadirs are cached in bench/work/.
 */
import yargs from 'yargs';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { hideBin } from 'yargs/helpers';
import { availableParallelism } from 'node:os';
import { resolve, join, relative } from 'node:path';
import { findServerBinary } from '../../pipeline/engine/local.js';
import { findTools, installMydumper } from './baselines.js';
import type { Tool, ToolName } from './baselines.js';
import { prepareData } from './data.js';
import { benchServerOptions } from './servers.js';
import { exportComparison, importComparison, migrateComparison, REPO_ROOT, snapshotCode } from './comparisons.js';
import type { Comparison, ComparisonName, RunContext } from './comparisons.js';
import { describeMachine, renderMarkdown, today, writeResults } from './report.js';
import type { BenchResults } from './report.js';
import { DEFAULT_SIZES, pointsFrom, scalingJsonPath, writeScaling } from './scaling.js';
import type { ScalingPoint } from './scaling.js';

export const DEFAULT_PATCHES = 200_000;
export const DEFAULT_ROUNDS = 3;
export const DEFAULT_SEED = 1;

const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

async function tools(install: boolean): Promise<Record<ToolName, Tool>> {
  let t = await findTools();
  if (install && (t.mydumper.missing || t.myloader.missing)) {
    await installMydumper(log);
    t = await findTools();
  }
  for (const x of Object.values(t)) if (x.missing) log(`bench: ${x.name} is missing, its comparisons are skipped: ${x.missing}`);
  return t;
}

/** HEAD and the uncommitted files drydock's measured code comes from. */
async function codeState(): Promise<{ commit: string; uncommitted: string[] }> {
  const head = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, reject: false });
  const st = await execa('git', ['status', '--porcelain', '--', 'pipeline', 'transforms', 'scripts/bench'], { cwd: REPO_ROOT, reject: false });
  return {
    commit: String(head.stdout).trim() || 'unknown',
    uncommitted: String(st.stdout)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3)),
  };
}

interface CommonArgs {
  seed: number;
  threads: number;
  install: boolean;
  workDir: string;
  resultsDir: string;
}

/**
 * Runs the comparisons; after each one the results so far are written (merged into the day's
 * file), so a run that dies later keeps what it measured.
 */
async function runComparisons(which: ComparisonName[], a: CommonArgs & { patches: number; rounds: number; to: string }): Promise<BenchResults> {
  const t = await tools(a.install);
  const server = await findServerBinary();
  const data = await prepareData({ workDir: a.workDir, patches: a.patches, seed: a.seed, threads: a.threads, tools: t, loaded: true, log });
  // The state is taken, and the code copied, together: what `code` names is what every round runs.
  const code = await codeState();
  const codeDir = await snapshotCode(a.workDir);
  const rc: RunContext = { workDir: a.workDir, data, rounds: a.rounds, threads: a.threads, tools: t, log, codeDir };
  const comparisons: Comparison[] = [];
  const results = (): BenchResults => ({
    tool: 'drydock-bench',
    format: 1,
    date: today(),
    createdAt: new Date().toISOString(),
    machine: describeMachine(server.version, t),
    data: { generator: 'patchwork 1.0', patches: a.patches, seed: a.seed, dumpBytes: data.dumpBytes, rows: data.totalRows, rowsPerTable: data.rows },
    threads: a.threads,
    serverOptions: benchServerOptions(),
    code,
    comparisons,
    notes,
  });
  const notes = [
    'drydock ran from a copy of its code taken at the start of the run (see Code), so every round measured the same code.',
    'drydock\'s wall time includes starting its node process (tsx transpiles on start-up, about a second).',
    'The drydock export also counts rows, runs CHECKSUM TABLE on every table and hashes the file for its manifest; mysqldump and mydumper do none of that.',
    'Import results are checked after every run (exact row count of every table against the generator\'s), outside the timing.',
  ];
  for (const x of Object.values(t)) if (x.missing) notes.push(`${x.name} missing: ${x.missing}`);
  for (const w of which) {
    log(`bench: ${w}: ${a.rounds} round(s) on ${a.patches} patches`);
    if (w === 'import') comparisons.push(await importComparison(rc));
    else if (w === 'migrate') comparisons.push(await migrateComparison(rc, a.to));
    else comparisons.push(await exportComparison(rc));
    writeResults(a.resultsDir, results());
  }
  return results();
}

async function runScaling(a: CommonArgs & { sizes: number[]; rounds: number; svg: string; tools: string[] }): Promise<void> {
  const t = await tools(a.install);
  const server = await findServerBinary();
  const points: ScalingPoint[] = [];
  const jsonPath = scalingJsonPath(a.resultsDir, today());
  const codeDir = await snapshotCode(a.workDir);
  const caption = `drydock import vs size; ${availableParallelism()} cores, ${server.version}, ${a.threads} threads, median of ${a.rounds} round(s), ${today()}`;
  for (const patches of a.sizes) {
    const data = await prepareData({ workDir: a.workDir, patches, seed: a.seed, threads: a.threads, tools: t, loaded: false, log });
    const c = await importComparison({ workDir: a.workDir, data, rounds: a.rounds, threads: a.threads, tools: t, log, only: a.tools, codeDir });
    points.push(...pointsFrom(patches, data.dumpBytes, c));
    // Written after every size, so a long run that is stopped still leaves its plot.
    writeScaling(jsonPath, a.svg, points, caption, describeMachine(server.version, t));
    log(`bench: scaling: ${patches} patches done; ${relative(process.cwd(), a.svg)} updated`);
  }
}

const DEFAULT_WORK = join(REPO_ROOT, 'bench', 'work');
const DEFAULT_RESULTS = join(REPO_ROOT, 'bench', 'results');

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got ${v})`);
  return v;
}

await yargs(hideBin(process.argv))
  .scriptName('bench')
  .usage('$0 [import|migrate|export|all] --patches N [--rounds R]\n$0 scaling [--sizes 50000,100000,...]')
  .option('seed', { type: 'number', default: DEFAULT_SEED, describe: 'generator seed' })
  .option('threads', { type: 'number', default: availableParallelism(), describe: 'threads for drydock, myloader, mydumper and LOAD DATA (default: cores)' })
  .option('install', { type: 'boolean', default: false, describe: 'try apt-get install -y mydumper when it is missing' })
  .option('work-dir', { type: 'string', default: DEFAULT_WORK, describe: 'cache of generated dumps and datadirs (git-ignored)' })
  .option('results-dir', { type: 'string', default: DEFAULT_RESULTS })
  .command(
    ['$0 [what]'],
    'compare drydock with the standard tools',
    (y) =>
      y
        .positional('what', { choices: ['import', 'migrate', 'export', 'all'] as const, default: 'all' as const })
        .option('patches', { type: 'number', default: DEFAULT_PATCHES, describe: 'size of the generated Patchwork 1.0 data set' })
        .option('rounds', { type: 'number', default: DEFAULT_ROUNDS, describe: 'measured runs per tool; the median is reported' })
        .option('to', { type: 'string', default: '2.1', describe: 'migrate target version' }),
    async (a) => {
      const which: ComparisonName[] = a.what === 'all' ? ['import', 'migrate', 'export'] : [a.what];
      const r = await runComparisons(which, {
        patches: positiveInt('patches', a.patches),
        rounds: positiveInt('rounds', a.rounds),
        seed: a.seed,
        threads: positiveInt('threads', a.threads),
        install: a.install,
        to: a.to,
        workDir: resolve(a.workDir),
        resultsDir: resolve(a.resultsDir),
      });
      const files = writeResults(resolve(a.resultsDir), r);
      process.stdout.write(renderMarkdown(r));
      log(`bench: wrote ${files.json}, ${files.md}, ${files.latest}`);
    },
  )
  .command(
    'render',
    're-write <date>.md and latest.md from <date>.json (after a change to the report format)',
    (y) => y.option('date', { type: 'string', default: today() }),
    (a) => {
      const dir = resolve(a.resultsDir);
      const r = JSON.parse(readFileSync(join(dir, `${a.date}.json`), 'utf8')) as BenchResults;
      const files = writeResults(dir, r);
      log(`bench: wrote ${files.md}, ${files.latest}`);
    },
  )
  .command(
    'scaling',
    'drydock import time and memory against size, plotted to an SVG',
    (y) =>
      y
        .option('sizes', { type: 'string', default: DEFAULT_SIZES.join(','), describe: 'patch counts, comma-separated' })
        .option('rounds', { type: 'number', default: 1 })
        .option('tools', { type: 'string', default: 'drydock,mysql client', describe: 'import tools to run at each size' })
        .option('svg', { type: 'string', default: join(REPO_ROOT, 'docs', 'bench-scaling.svg') }),
    async (a) => {
      await runScaling({
        sizes: a.sizes.split(',').map((s) => positiveInt('sizes', Number(s.trim()))),
        rounds: positiveInt('rounds', a.rounds),
        tools: a.tools.split(',').map((s) => s.trim()),
        svg: resolve(a.svg),
        seed: a.seed,
        threads: positiveInt('threads', a.threads),
        install: a.install,
        workDir: resolve(a.workDir),
        resultsDir: resolve(a.resultsDir),
      });
    },
  )
  .strict()
  .help()
  .version(false)
  .fail((msg, err) => {
    process.stderr.write(`bench: ${err?.message ?? msg}\n`);
    process.exit(1);
  })
  .parseAsync();
