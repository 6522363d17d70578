/**
 * Results: bench/results/<date>.json (everything measured) and a Markdown table in
 * bench/results/<date>.md and bench/results/latest.md. A second run on the same day with the same
 * data set replaces the comparisons it ran and keeps the others, so `import` and `export` may be
 * run separately. Formatting is pure and unit-testable.
 */
import { cpus, totalmem, release, availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison, ToolResult } from './comparisons.js';
import type { Tool, ToolName } from './baselines.js';
import { median } from './measure.js';

export interface Machine {
  cores: number;
  memoryBytes: number;
  cpuModel: string;
  kernel: string;
  node: string;
  server: string;
  tools: Record<string, string>;
}

export interface BenchResults {
  tool: 'drydock-bench';
  format: 1;
  date: string;
  createdAt: string;
  machine: Machine;
  data: { generator: 'patchwork 1.0'; patches: number; seed: number; dumpBytes: number; rows: number; rowsPerTable: Record<string, number> };
  threads: number;
  /** Tuning options of every benchmark server (drydock's local engine defaults; paths left out). */
  serverOptions?: Record<string, string>;
  /** The code measured: drydock runs from the working tree, so uncommitted changes count. */
  code?: { commit: string; uncommitted: string[] };
  comparisons: Comparison[];
  notes: string[];
}

export function describeMachine(serverVersion: string, tools: Record<ToolName, Tool>): Machine {
  return {
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    server: serverVersion,
    tools: Object.fromEntries(Object.values(tools).map((t) => [t.name, t.version ?? `missing: ${t.missing ?? ''}`])),
  };
}

/** Today in UTC, YYYY-MM-DD. */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Merges a new run into the day's file when it measured the same data set. */
export function merge(previous: BenchResults | undefined, next: BenchResults): BenchResults {
  if (!previous || previous.data.patches !== next.data.patches || previous.data.seed !== next.data.seed) return next;
  const names = new Set(next.comparisons.map((c) => c.name));
  const order = ['import', 'migrate', 'export'];
  // Each comparison keeps the code state and notes of the run that measured it.
  const tag = (c: Comparison, r: BenchResults): Comparison => (c.code || !r.code ? c : { ...c, code: r.code });
  const kept = previous.comparisons.filter((c) => !names.has(c.name)).map((c) => tag(c, previous));
  const notes = [...new Set([...next.notes, ...(kept.length ? previous.notes.filter((n) => !next.notes.includes(n)).map((n) => `(${kept.map((c) => c.name).join(', ')}) ${n}`) : [])])];
  const comparisons = [...kept, ...next.comparisons.map((c) => tag(c, next))].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { ...next, comparisons, notes };
}

const mb = (b: number | null | undefined) => (b === null || b === undefined ? '–' : `${(b / 1e6).toFixed(0)} MB`);
const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function row(t: ToolResult): string {
  if (t.status !== 'measured' || !t.median) {
    return `| ${t.tool} | ${t.status}: ${(t.reason ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 200)} | | | | | | | | |`;
  }
  const m = t.median;
  const drydock = t.role === 'drydock';
  const ratio = drydock ? '1 (drydock)' : t.ratio === null || t.ratio === undefined ? '–' : t.ratio.toFixed(2);
  const paired = drydock ? '' : t.pairedRatios?.length ? `${t.pairedRatio!.toFixed(2)} (${t.pairedRatios.map((x) => x.toFixed(2)).join(', ')})` : '–';
  const cpu = typeof m.cpuSeconds === 'number' || typeof m.serverCpuSeconds === 'number' ? `${num(m.cpuSeconds, 1)} + ${num(m.serverCpuSeconds, 1)}` : '–';
  return `| ${t.tool} | ${m.seconds.toFixed(1)} | ${num(m.rowsPerSecond)} | ${num(m.mbPerSecond, 1)} | ${cpu} | ${mb(m.peakRssBytes)} | ${mb(m.serverPeakRssBytes)} | ${ratio} | ${paired} | ${t.rounds.map((r) => r.seconds.toFixed(1)).join(', ')} |`;
}

/** Where drydock's migrate time goes: its slowest steps beside the replay's time for the same step (first round). */
function slowestSteps(c: Comparison, n = 8): string[] {
  const stepsOf = (role: 'drydock' | 'baseline') => c.tools.find((t) => t.role === role)?.rounds[0]?.extra?.['stepSeconds'] as Record<string, number> | undefined;
  const d = stepsOf('drydock');
  if (!d) return [];
  const b = stepsOf('baseline') ?? {};
  const top = Object.entries(d)
    .sort((x, y) => y[1] - x[1])
    .slice(0, n);
  const out = ['', `drydock's ${top.length} slowest steps (round 1), beside the same step in the replay:`, '', '| step | drydock s | replay s |', '|---|---:|---:|'];
  for (const [id, sec] of top) out.push(`| ${id} | ${sec.toFixed(2)} | ${b[id] === undefined ? '–' : b[id].toFixed(2)} |`);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, x) => a + x, 0);
  out.push(`| all ${Object.keys(d).length} steps | ${sum(d).toFixed(2)} | ${sum(b).toFixed(2)} |`);
  return out;
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [
    `# drydock benchmark, ${r.date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}, server ${m.server}.`,
    `Tools: ${Object.entries(m.tools).map(([k, v]) => `${k} (${v})`).join('; ')}.`,
    '',
    ...(r.serverOptions && Object.keys(r.serverOptions).length ? [`Server options (every run): ${Object.entries(r.serverOptions).map(([k, v]) => `${k}=${v}`).join(', ')}.`, ''] : []),
    ...(r.code && !r.comparisons.some((c) => c.code) ? [`Code: commit ${r.code.commit}${r.code.uncommitted.length ? `, with uncommitted changes in ${r.code.uncommitted.join(', ')}` : ''}.`, ''] : []),
    `Data: generated Patchwork 1.0, ${num(r.data.patches)} patches (seed ${r.data.seed}), dump ${(r.data.dumpBytes / 1e6).toFixed(0)} MB, ${num(r.data.rows)} rows in all tables. Threads = ${r.threads}.`,
    '',
    'Every measured run: a fresh, identically tuned local server (drydock\'s bulk-load settings) started on a copy of the same datadir, so every tool begins with a cold buffer pool; tools take turns within each round, in the listed order in odd rounds and reversed in even ones (drydock always runs beside the tool listed after it); the median of the rounds is shown. ' +
      'Ratio = drydock\'s median wall time / the tool\'s (< 1: drydock is faster); "same round" = drydock\'s time / the tool\'s within each round, which a slow spell of the machine shared by the two runs cancels out of. CPU s = user + system seconds of the tool\'s own processes and of the server during the run: on a machine whose cores are all busy, wall time follows their sum. rows/s = rows of the whole data set per second; MB/s = bytes the tool itself read (import) or wrote (export) per second. ' +
      'Tool RSS = peak resident memory of the tool\'s process tree (drydock runs in its own node process); server RSS = mariadbd\'s VmHWM.',
  ];
  for (const c of r.comparisons) {
    out.push('', `## ${c.name} (${c.rounds} round${c.rounds === 1 ? '' : 's'})`, '');
    if (c.code) out.push(`Code: commit ${c.code.commit}${c.code.uncommitted.length ? ` + uncommitted ${c.code.uncommitted.join(', ')}` : ''}.`, '');
    out.push(
      '| tool | wall s (median) | rows/s | MB/s | CPU s, tool + server (median) | tool peak RSS | server peak RSS | drydock / tool | same round: median (each) | rounds (s) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    );
    for (const t of c.tools) out.push(row(t));
    out.push('');
    for (const t of c.tools) out.push(`- ${t.tool}: ${t.how}`);
    for (const t of c.tools) {
      const own = t.rounds.map((r) => r.extra?.['seconds']).filter((x): x is number => typeof x === 'number');
      if (own.length) out.push(`- ${t.tool}: the stage's own time, without process start-up: ${median(own).toFixed(1)} s (median)`);
    }
    const extras = c.tools.filter((t) => t.rounds[0]?.extra && (t.rounds[0].extra['largestTransaction'] !== undefined || t.rounds[0].extra['batches'] !== undefined));
    for (const t of extras) {
      const e = t.rounds[0]!.extra!;
      out.push(`- ${t.tool}: largest transaction ${num(e['largestTransaction'] as number)} rows${e['batches'] !== undefined ? `, ${num(e['batches'] as number)} transactions` : ''}${e['rows'] !== undefined ? `, ${num(e['rows'] as number)} rows touched` : ''}`);
    }
    if (c.splitter) {
      out.push(
        'skipped' in c.splitter
          ? `- splitter alone: not measured (${c.splitter.skipped})`
          : `- splitter alone: ${c.splitter.medianMbps.toFixed(0)} MB/s wall, ${c.splitter.medianCpuMbps.toFixed(0)} MB/s of CPU time (median; runs ${c.splitter.mbps.map((x) => x.toFixed(0)).join(', ')} MB/s), ${num(c.splitter.statements)} statements: ${c.splitter.how}`,
      );
    }
    out.push(...slowestSteps(c));
    if (c.targets.length) {
      out.push('', 'Targets:', '');
      for (const t of c.targets) out.push(`- ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'}: ${t.target} (measured ${t.value === null ? '–' : t.value.toFixed(2)})`);
    }
  }
  const loads = r.comparisons.flatMap((c) => c.tools.flatMap((t) => t.rounds.map((x) => x.loadAverage))).filter((x): x is number => x !== undefined);
  if (loads.length) {
    out.push('', `1-minute load average before each measured run: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (${r.machine.cores} cores); above the core count, other work shared the machine and the times are noisier.`);
  }
  if (r.notes.length) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}

/** Writes <date>.json, <date>.md and latest.md; returns the JSON path. */
export function writeResults(dir: string, r: BenchResults): { json: string; md: string; latest: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${r.date}.json`);
  const previous = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as BenchResults) : undefined;
  const merged = merge(previous, r);
  writeAtomic(json, JSON.stringify(merged, null, 2) + '\n');
  const text = renderMarkdown(merged);
  const md = join(dir, `${r.date}.md`);
  const latest = join(dir, 'latest.md');
  writeAtomic(md, text);
  writeAtomic(latest, text);
  return { json, md, latest };
}

/** A full disk or a crash mid-write must not leave an earlier run's results truncated. */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.partial`, text);
  renameSync(`${path}.partial`, path);
}
