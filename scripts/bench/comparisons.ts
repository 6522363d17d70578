/**
 * The three comparisons. Each measured run gets a fresh server on a copy of the same datadir
 * (servers.ts), so every tool starts with a cold buffer pool; the tools take turns within a round,
 * in the listed order in odd rounds and reversed in even ones, so slow drift of the machine spreads
 * over all of them and drydock runs right beside the baseline listed next to it (myloader for the
 * import) in every round. The median of the rounds is reported, and beside it the median of each
 * round's own drydock / baseline ratio, which a slow period shared by the pair cancels out of.
 * drydock runs in its own process (drydock-child.ts) so that its peak RSS is drydock's alone; the
 * server's peak RSS (mariadbd's VmHWM) is kept apart.
 */
import { cpSync, rmSync, mkdirSync, statfsSync, symlinkSync } from 'node:fs';
import { execa } from 'execa';
import { join, dirname } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StartedServer } from '../../pipeline/engine/engine.js';
import { cpuSpent, measure, median, procMemory, processCpuSeconds, rate, ratio } from './measure.js';
import type { MeasureContext } from './measure.js';
import { emptyDataDir, serverFrom, discard } from './servers.js';
import { loadDataImport, myloaderImport, mysqlClientImport, mysqldumpExport, mydumperExport, sizeOf } from './baselines.js';
import type { Tool, ToolName } from './baselines.js';
import { rowMismatches } from './data.js';
import type { BenchData } from './data.js';
import type { ChildJob } from './drydock-child.js';
import type { SplitterRun } from './splitter.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join('scripts', 'bench', 'drydock-child.ts');

export type ComparisonName = 'import' | 'migrate' | 'export';

export interface RoundResult {
  /** Which round (1-based): a tool that failed a round has fewer entries than there were rounds. */
  round?: number;
  seconds: number;
  /** Peak RSS of the tool's own processes, bytes. */
  peakRssBytes: number;
  /** Peak RSS of the server (mariadbd VmHWM, includes its start-up), bytes. */
  serverPeakRssBytes: number | null;
  /** CPU seconds (user + system) of the tool's own processes during the run. */
  cpuSeconds?: number | null;
  /** CPU seconds of the server during the run (its start-up excluded). */
  serverCpuSeconds?: number | null;
  /** The machine's 1-minute load average just before the run: other work on the machine shows here. */
  loadAverage?: number;
  /** Facts the tool reported (e.g. drydock's largest transaction). */
  extra?: Record<string, unknown>;
}

export interface ToolResult {
  tool: string;
  role: 'drydock' | 'baseline';
  /** How it was run, in a line. */
  how: string;
  status: 'measured' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  reason?: string;
  /** Bytes the tool read (import) or wrote (export); MB/s is computed from it. */
  bytes?: number;
  rounds: RoundResult[];
  median?: {
    seconds: number;
    rowsPerSecond: number | null;
    mbPerSecond: number | null;
    peakRssBytes: number;
    serverPeakRssBytes: number | null;
    cpuSeconds?: number | null;
    serverCpuSeconds?: number | null;
  };
  /** drydock's median seconds / this tool's (baselines only): < 1 means drydock is faster. */
  ratio?: number | null;
  /** drydock's seconds / this tool's within each round both completed (baselines only). */
  pairedRatios?: number[];
  /** The median of {@link pairedRatios}. */
  pairedRatio?: number | null;
}

export interface TargetCheck {
  target: string;
  /** The measured value the target is about. */
  value: number | null;
  limit: number;
  /** The limit is a floor (value ≥ limit), not a ceiling (value ≤ limit, the default). */
  atLeast?: boolean;
  met: boolean | null;
}

/** drydock's reader and splitter alone over the benchmark's dump (scripts/bench/splitter.ts --file). */
export interface SplitterResult {
  /** How it was run, in a line. */
  how: string;
  /** Input MB (1e6 bytes) per wall-clock second, one entry per run. */
  mbps: number[];
  /** Input MB per CPU-second of the splitting process, one entry per run. */
  cpuMbps: number[];
  medianMbps: number;
  medianCpuMbps: number;
  statements: number;
}

export interface Comparison {
  name: ComparisonName;
  /** The code measured, when the day's file holds comparisons from runs of different code. */
  code?: { commit: string; uncommitted: string[] };
  /** Rows of the data set (all tables): rows/s is rows of the database per second for every tool. */
  rows: number;
  rounds: number;
  tools: ToolResult[];
  /** Import only: the splitter alone, or why it was not measured. */
  splitter?: SplitterResult | { skipped: string };
  targets: TargetCheck[];
}

export interface RunContext {
  workDir: string;
  data: BenchData;
  rounds: number;
  threads: number;
  tools: Record<ToolName, Tool>;
  log: (s: string) => void;
  /** Run only these tools (by name); default all. */
  only?: string[];
  /**
   * Where drydock's code is run from (a copy made at the start, see snapshotCode): the working
   * tree may change under a long run, and every round must measure the same code. Default: the tree.
   */
  codeDir?: string;
}

interface Contender {
  tool: string;
  role: 'drydock' | 'baseline';
  how: string;
  /** Why it cannot run; undefined when it can. */
  skip?: string | undefined;
  /** The datadir its fresh server starts from. */
  from: () => Promise<string>;
  /** The measured work; may return facts to keep. */
  run: (ctx: MeasureContext, server: StartedServer) => Promise<Record<string, unknown> | void>;
  /** After the measurement, not timed: why the result is wrong, if it is. */
  check?: (server: StartedServer) => Promise<string[]>;
  /** Bytes read or written, after the first round. */
  bytes: () => number;
  /** Removes what the run wrote outside the server (an export), once measured. */
  cleanup?: () => void;
}

/**
 * A measured run needs room for a copy of the datadir, the tool's output and the redo log's
 * growth: about three times the dump plus 2 GB. Checked before each run, so a shared disk that
 * fills up fails one measurement with a clear message instead of the whole benchmark.
 */
export function minFreeBytes(dumpBytes: number): number {
  return 3 * dumpBytes + 2e9;
}

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

async function runDrydock(ctx: MeasureContext, job: ChildJob, codeDir = REPO_ROOT): Promise<Record<string, unknown>> {
  const { stdout } = await ctx.run(process.execPath, ['--import', 'tsx', join(codeDir, CHILD)], { input: JSON.stringify(job), cwd: codeDir });
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

async function compare(name: ComparisonName, rc: RunContext, all: Contender[]): Promise<Comparison> {
  const contenders = rc.only ? all.filter((c) => rc.only!.includes(c.tool)) : all;
  const results: ToolResult[] = contenders.map((c) => ({
    tool: c.tool,
    role: c.role,
    how: c.how,
    status: c.skip ? 'skipped' : 'measured',
    ...(c.skip ? { reason: c.skip } : {}),
    rounds: [],
  }));
  for (let round = 1; round <= rc.rounds; round++) {
    const order = [...contenders.keys()];
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      const c = contenders[i]!;
      const res = results[i]!;
      if (res.status !== 'measured') continue;
      const serverName = `${name}-${c.tool}`;
      let server: StartedServer | undefined;
      try {
        const free = freeBytes(rc.workDir);
        const want = minFreeBytes(rc.data.dumpBytes);
        if (free < want) throw new Error(`only ${(free / 1e9).toFixed(1)} GB free on the disk of ${rc.workDir} (want ${(want / 1e9).toFixed(1)} GB for a datadir copy, the output and the redo log); free some space and re-run`);
        server = await serverFrom(rc.workDir, serverName, await c.from());
        const loadAverage = Math.round(loadavg()[0]! * 100) / 100;
        const serverCpu0 = server.pid ? processCpuSeconds(server.pid) : undefined;
        let extra: Record<string, unknown> | undefined;
        const m = await measure(
          async (ctx) => {
            extra = (await c.run(ctx, server!)) ?? undefined;
          },
          new Set(server.pid ? [server.pid] : []),
        );
        const serverPeak = server.pid ? (procMemory(server.pid)?.hwm ?? null) : null;
        const serverCpu1 = server.pid ? processCpuSeconds(server.pid) : undefined;
        const serverCpu = cpuSpent(serverCpu0, serverCpu1) ?? null;
        const problems = c.check ? await c.check(server) : [];
        if (problems.length) throw new Error(`wrong result: ${problems.slice(0, 5).join('; ')}`);
        res.rounds.push({
          round,
          seconds: m.seconds,
          peakRssBytes: m.peakRssBytes,
          serverPeakRssBytes: serverPeak,
          cpuSeconds: m.cpuSeconds ?? null,
          serverCpuSeconds: serverCpu,
          loadAverage,
          ...(extra ? { extra } : {}),
        });
        if (res.bytes === undefined) res.bytes = c.bytes();
        c.cleanup?.();
        rc.log(`bench: ${name} round ${round}/${rc.rounds} ${c.tool}: ${m.seconds.toFixed(1)} s (load ${loadAverage} before), CPU ${cpuText(m.cpuSeconds)} s + server ${cpuText(serverCpu)} s, tool RSS ${(m.peakRssBytes / 1e6).toFixed(0)} MB, server RSS ${serverPeak ? (serverPeak / 1e6).toFixed(0) : '?'} MB`);
      } catch (err) {
        res.status = 'failed';
        res.reason = (err as Error).message.slice(0, 2000);
        rc.log(`bench: ${name} ${c.tool} failed: ${res.reason}`);
      } finally {
        try {
          c.cleanup?.();
        } catch {
          /* best effort */
        }
        if (server) await discard(server, rc.workDir, serverName).catch(() => {});
      }
    }
  }
  for (const res of results) {
    if (res.status !== 'measured' || res.rounds.length === 0) continue;
    const seconds = median(res.rounds.map((r) => r.seconds));
    const servers = res.rounds.map((r) => r.serverPeakRssBytes).filter((x): x is number => x !== null);
    const known = (xs: Array<number | null | undefined>) => xs.filter((x): x is number => typeof x === 'number');
    const cpu = known(res.rounds.map((r) => r.cpuSeconds));
    const serverCpu = known(res.rounds.map((r) => r.serverCpuSeconds));
    res.median = {
      seconds,
      rowsPerSecond: rate(rc.data.totalRows, seconds) ?? null,
      mbPerSecond: res.bytes !== undefined ? (rate(res.bytes / 1e6, seconds) ?? null) : null,
      peakRssBytes: median(res.rounds.map((r) => r.peakRssBytes)),
      serverPeakRssBytes: servers.length ? median(servers) : null,
      cpuSeconds: cpu.length ? median(cpu) : null,
      serverCpuSeconds: serverCpu.length ? median(serverCpu) : null,
    };
  }
  const dry = results.find((r) => r.role === 'drydock');
  for (const res of results) {
    if (res.role !== 'baseline') continue;
    res.ratio = ratio(dry?.median?.seconds, res.median?.seconds) ?? null;
    res.pairedRatios = pairedRatios(dry?.rounds ?? [], res.rounds);
    res.pairedRatio = res.pairedRatios.length ? median(res.pairedRatios) : null;
  }
  return { name, rows: rc.data.totalRows, rounds: rc.rounds, tools: results, targets: [] };
}

const cpuText = (s: number | null | undefined) => (typeof s === 'number' ? s.toFixed(1) : '?');

/** drydock's seconds / the baseline's, for every round both completed, in round order. */
export function pairedRatios(drydock: readonly RoundResult[], baseline: readonly RoundResult[]): number[] {
  const out: number[] = [];
  for (const b of baseline) {
    const d = drydock.find((r) => r.round === b.round);
    const r = ratio(d?.seconds, b.seconds);
    if (r !== undefined) out.push(r);
  }
  return out;
}

function target(target: string, value: number | undefined | null, limit: number, atLeast = false): TargetCheck {
  const v = value ?? null;
  return { target, value: v, limit, ...(atLeast ? { atLeast } : {}), met: v === null ? null : atLeast ? v >= limit : v <= limit };
}

/**
 * The splitter's own throughput: a child process reads the dump as the import does and splits it,
 * pinned to one core with taskset where there is one (the target is per core), after one untimed
 * pass so that it reads from the page cache as every import run does.
 */
export async function measureSplitter(rc: RunContext): Promise<SplitterResult | { skipped: string }> {
  const codeDir = rc.codeDir ?? REPO_ROOT;
  const node = [process.execPath, '--import', 'tsx', join(codeDir, 'scripts', 'bench', 'splitter.ts'), '--file', rc.data.dump, '--runs', String(rc.rounds), '--warmup', '1', '--json'];
  const pinned = (await execa('taskset', ['-c', '0', 'true'], { reject: false })).exitCode === 0;
  const [cmd, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const r = await execa(cmd!, args, { cwd: codeDir, reject: false, all: true });
  if (r.exitCode !== 0) return { skipped: `the splitter run failed (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-3).join(' ')}` };
  const { runs } = JSON.parse(String(r.stdout).trim().split('\n').at(-1) ?? '{}') as { runs: SplitterRun[] };
  const mbps = runs.map((x) => x.mbps);
  const cpuMbps = runs.map((x) => x.cpuMbps);
  return {
    how: `scripts/bench/splitter.ts --file over the dump (openSqlSource's reader into pooled chunks + splitStatements, statements released as the loader does), ${pinned ? 'pinned to one core (taskset -c 0)' : 'not pinned (no taskset)'}, page cache warm, ${rc.rounds} timed run(s) after one untimed`,
    mbps,
    cpuMbps,
    medianMbps: median(mbps),
    medianCpuMbps: median(cpuMbps),
    statements: runs[0]?.statements ?? 0,
  };
}

export async function importComparison(rc: RunContext): Promise<Comparison> {
  const { data, tools, threads } = rc;
  const empty = () => emptyDataDir(rc.workDir);
  const check = (s: StartedServer) => rowMismatches(s.address, data.rows);
  // myloader is listed next to drydock so that the two run side by side in every round (see compare).
  const c = await compare('import', rc, [
    {
      tool: 'drydock',
      role: 'drydock',
      how: `importDump (native parallel importer), ${threads} threads, in its own node process`,
      from: empty,
      run: (ctx, s) => runDrydock(ctx, { op: 'import', address: s.address, dump: data.dump, threads }, rc.codeDir),
      check,
      bytes: () => data.dumpBytes,
    },
    {
      tool: 'myloader',
      role: 'baseline',
      how: `myloader -t ${threads} -o of a mydumper export (-r 50000) of the same database`,
      skip: tools.myloader.missing ?? data.mydumperMissing,
      from: empty,
      run: (ctx, s) => myloaderImport(ctx, tools.myloader, s.address, data.mydumperDir!, threads),
      check,
      bytes: () => sizeOf(data.mydumperDir!),
    },
    {
      tool: 'LOAD DATA INFILE',
      role: 'baseline',
      how: `schema by the client, then mariadb-import --use-threads=${threads} -k (LOAD DATA INFILE) of the same rows as tab-separated files: the practical limit`,
      skip: tools.mysql.missing ?? data.tabMissing,
      from: empty,
      run: (ctx, s) => loadDataImport(ctx, tools.mysql, tools['mariadb-import'], s.address, data.tabDir!, threads),
      check,
      bytes: () => sizeOf(data.tabDir!),
    },
    {
      tool: 'mysql client',
      role: 'baseline',
      how: 'mysql --binary-mode < dump.sql',
      skip: tools.mysql.missing,
      from: empty,
      run: (ctx, s) => mysqlClientImport(ctx, tools.mysql, s.address, data.dump),
      check,
      bytes: () => data.dumpBytes,
    },
  ]);
  const d = c.tools.find((t) => t.role === 'drydock');
  rc.log('bench: import: the splitter alone over the dump, one core');
  c.splitter = await measureSplitter(rc);
  const sp = 'medianMbps' in c.splitter ? c.splitter.medianMbps : null;
  c.targets = [
    target('import wall time ≤ 0.5 × mysql client', c.tools.find((t) => t.tool === 'mysql client')?.ratio, 0.5),
    target('import wall time ≤ 0.9 × myloader (threads = cores)', c.tools.find((t) => t.tool === 'myloader')?.ratio, 0.9),
    target('drydock import peak RSS ≤ 300 MB', d?.median ? d.median.peakRssBytes / 1e6 : null, 300),
    target('splitter alone ≥ 400 MB/s on one core (median)', sp, 400, true),
  ];
  return c;
}

export async function exportComparison(rc: RunContext): Promise<Comparison> {
  const { data, tools, threads } = rc;
  const loaded = async () => data.loadedDataDir!;
  const out = join(rc.workDir, 'out');
  const fresh = (p: string) => {
    rmSync(p, { recursive: true, force: true });
    mkdirSync(dirname(p), { recursive: true });
    return p;
  };
  return compare('export', rc, [
    {
      tool: 'drydock',
      role: 'drydock',
      how: 'exportDump (mysqldump + manifest: row counts, CHECKSUM TABLE, sha256), in its own node process',
      from: loaded,
      run: (ctx, s) => runDrydock(ctx, { op: 'export', address: s.address, out: fresh(join(out, 'drydock')), serverVersion: s.version, flavor: s.flavor }, rc.codeDir),
      bytes: () => sizeOf(join(out, 'drydock')),
      cleanup: () => rmSync(join(out, 'drydock'), { recursive: true, force: true }),
    },
    {
      tool: 'mysqldump',
      role: 'baseline',
      how: 'mysqldump --single-transaction --quick --hex-blob --result-file=file',
      skip: tools.mysqldump.missing,
      from: loaded,
      run: (ctx, s) => mysqldumpExport(ctx, tools.mysqldump, s.address, fresh(join(out, 'mysqldump.sql'))),
      bytes: () => sizeOf(join(out, 'mysqldump.sql')),
      cleanup: () => rmSync(join(out, 'mysqldump.sql'), { force: true }),
    },
    {
      tool: 'mydumper',
      role: 'baseline',
      how: `mydumper -t ${threads} -r 50000`,
      skip: tools.mydumper.missing,
      from: loaded,
      run: (ctx, s) => mydumperExport(ctx, tools.mydumper, s.address, fresh(join(out, 'mydumper')), threads),
      bytes: () => sizeOf(join(out, 'mydumper')),
      cleanup: () => rmSync(join(out, 'mydumper'), { recursive: true, force: true }),
    },
  ]);
}

/**
 * Copies drydock's code as it is now (pipeline, transforms, scripts, package.json) into
 * `workDir/code`, with node_modules linked, and returns the directory the drydock child runs from.
 */
export async function snapshotCode(workDir: string): Promise<string> {
  const dir = join(workDir, 'code');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const e of ['pipeline', 'transforms', 'scripts', 'package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, e), join(dir, e), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Why the Patchwork pack cannot be used, or undefined when it loads. */
export async function packProblem(): Promise<string | undefined> {
  try {
    const m = (await import('../../transforms/patchwork/pack.js')) as { patchworkPack?: { plan?: unknown } };
    return typeof m.patchworkPack?.plan === 'function' ? undefined : 'transforms/patchwork/pack.ts exports no patchworkPack with plan()';
  } catch (err) {
    return `the Patchwork pack does not load: ${(err as Error).message.split('\n')[0]}`;
  }
}

export async function migrateComparison(rc: RunContext, to = '2.1'): Promise<Comparison> {
  const loaded = async () => rc.data.loadedDataDir!;
  const problem = await packProblem();
  const c = await compare('migrate', rc, [
    {
      tool: 'drydock',
      role: 'drydock',
      how: `runMigration with the Patchwork pack, 1.0 → ${to}, batched (5000 rows, 0.5 s target), checkpointed`,
      skip: problem,
      from: loaded,
      run: (ctx, s) => runDrydock(ctx, { op: 'migrate', address: s.address, to }, rc.codeDir),
      bytes: () => rc.data.dumpBytes,
    },
    {
      tool: 'unbatched replay',
      role: 'baseline',
      how: 'the same plan, each step one statement over the whole table ({range} → 1=1), autocommit',
      skip: problem,
      from: loaded,
      run: (ctx, s) => runDrydock(ctx, { op: 'replay', address: s.address, to }, rc.codeDir),
      bytes: () => rc.data.dumpBytes,
    },
  ]);
  c.targets = [target(`migrate 1.0 → ${to} not slower than the unbatched replay (ratio ≤ 1)`, c.tools.find((t) => t.role === 'baseline')?.ratio, 1)];
  return c;
}
