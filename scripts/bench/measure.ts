/**
 * Measuring one operation: wall time, the CPU time and the peak resident memory of the processes it
 * started (a process tree: memory polled from /proc, CPU from the kernel's account of reaped
 * children), kept apart from the server's (its own VmHWM and CPU time). Pure helpers (median,
 * rates, ratios) are exported for the report and the smoke test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import type { Options as ExecaOptions } from 'execa';

/** How often the process tree is sampled. Per-process VmHWM catches peaks between samples. */
export const SAMPLE_INTERVAL_MS = 100;

/** One process's status fields, in bytes; undefined when it has gone. */
export function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux port Node runs on). */
const CLOCK_TICKS = 100;

/** The CPU fields of /proc/<pid>/stat, after the command name (which may hold spaces and ')'). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a live process (all its threads); undefined when it has gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS : undefined;
}

/**
 * User + system CPU seconds of this process's children that have exited and been waited for (and
 * of their own waited-for descendants): the kernel adds a child's whole account when it is reaped,
 * so the difference around a run is the CPU of every program the run started and saw finish.
 */
export function reapedChildrenCpuSeconds(): number | undefined {
  const f = statFields('self');
  return f ? (Number(f[13]) + Number(f[14])) / CLOCK_TICKS : undefined;
}

/** CPU seconds spent between two readings, to the clock tick; undefined when either is missing. */
export function cpuSpent(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : Math.round((after - before) * CLOCK_TICKS) / CLOCK_TICKS;
}

/** Parent of every live process (one /proc scan). */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (f === undefined) continue; // exited while scanning
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  return children;
}

/**
 * Children of one process from /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN): reads only
 * the tree's own files, so sampling costs little CPU on a small machine. Undefined when the kernel
 * lacks the file.
 */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(`/proc/${pid}/task/${t}`)) return undefined;
    }
  }
  return out;
}

/** A pid and all its descendants, minus the excluded subtrees (the server's). */
export function processTree(roots: Iterable<number>, exclude: ReadonlySet<number> = new Set()): number[] {
  let scan: Map<number, number[]> | undefined;
  const out: number[] = [];
  const todo = [...roots];
  while (todo.length) {
    const p = todo.pop()!;
    if (exclude.has(p)) continue;
    out.push(p);
    const kids = scan ? scan.get(p) : childrenOf(p);
    if (kids === undefined && !scan) {
      scan = parents();
      todo.push(...(scan.get(p) ?? []));
    } else todo.push(...(kids ?? []));
  }
  return out;
}

/**
 * Samples the memory of the process trees under registered pids until stopped. Peak = the largest
 * sum of VmRSS over the tree at one sample, or any single process's own VmHWM if larger.
 */
export class TreeSampler {
  readonly #roots = new Set<number>();
  readonly #exclude: ReadonlySet<number>;
  readonly #timer: NodeJS.Timeout;
  #peak = 0;

  constructor(exclude: ReadonlySet<number> = new Set()) {
    this.#exclude = exclude;
    this.#timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  register(pid: number | undefined): void {
    if (pid) {
      this.#roots.add(pid);
      this.sample();
    }
  }

  sample(): void {
    if (this.#roots.size === 0) return;
    let sum = 0;
    for (const pid of processTree(this.#roots, this.#exclude)) {
      const m = procMemory(pid);
      if (!m) continue;
      sum += m.rss;
      this.#peak = Math.max(this.#peak, m.hwm);
    }
    this.#peak = Math.max(this.#peak, sum);
  }

  /** Stops sampling; the peak in bytes (0 when nothing was registered). */
  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}

export interface Measurement {
  seconds: number;
  /** Peak RSS of the processes the operation started (the tool itself), bytes. */
  peakRssBytes: number;
  /** User + system CPU seconds of those processes; undefined where /proc cannot tell. */
  cpuSeconds: number | undefined;
}

/** What a measured operation gets: a way to run a program whose tree counts as the tool's. */
export interface MeasureContext {
  run(file: string, args: string[], options?: ExecaOptions): Promise<{ stdout: string; stderr: string }>;
}

/**
 * Times `fn` and samples the memory of every program it runs through `ctx.run`. A program that
 * exits non-zero fails the measurement with its stderr.
 */
export async function measure(fn: (ctx: MeasureContext) => Promise<void>, exclude: ReadonlySet<number> = new Set()): Promise<Measurement> {
  const sampler = new TreeSampler(exclude);
  const ctx: MeasureContext = {
    async run(file, args, options = {}) {
      // Output sent elsewhere (a file) is not collected: execa would stop the program at maxBuffer.
      const collect = options.stdout === undefined || options.stdout === 'pipe';
      const child = execa(file, args, { reject: false, stdout: 'pipe', stderr: 'pipe', ...options, buffer: { stdout: collect, stderr: true } });
      sampler.register(child.pid);
      const r = await child;
      if (r.exitCode !== 0) {
        const err = String(r.stderr ?? '').trim().split('\n').slice(-8).join('\n');
        throw new Error(`${file} ${args.filter((a) => !a.startsWith('--defaults')).join(' ').slice(0, 200)} failed (exit ${r.exitCode}${r.signal ? `, ${r.signal}` : ''}): ${err}`);
      }
      return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
    },
  };
  const cpu0 = reapedChildrenCpuSeconds();
  const t0 = performance.now();
  try {
    await fn(ctx);
  } catch (err) {
    sampler.stop();
    throw err;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = reapedChildrenCpuSeconds();
  return { seconds, peakRssBytes: sampler.stop(), cpuSeconds: cpuSpent(cpu0, cpu1) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per second; undefined for a zero or missing duration. */
export function rate(amount: number, seconds: number): number | undefined {
  return seconds > 0 ? amount / seconds : undefined;
}

/** drydock / baseline, rounded to 3 places; undefined when either is missing. */
export function ratio(drydock: number | undefined, baseline: number | undefined): number | undefined {
  if (drydock === undefined || baseline === undefined || !(baseline > 0)) return undefined;
  return Math.round((drydock / baseline) * 1000) / 1000;
}
