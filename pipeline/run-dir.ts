/**
 * A run's directory (default `.drydock/<run-id>/`): the server's datadir and socket, logs, the
 * state file recording which stages finished, and the report. The run id is derived from the
 * command's inputs, so re-running the same command finds the same directory and resumes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { isAlive } from './process-state.js';

export const DEFAULT_RUNS_ROOT = '.drydock';

export type StageStatus = 'done' | 'failed' | 'skipped' | 'not-run' | 'interrupted';

export interface StageRecord {
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  seconds?: number;
  detail?: Record<string, unknown>;
  error?: string;
}

export interface RunState {
  runId: string;
  /** What the run was started with: a re-run with other inputs must not resume it. */
  inputs: Record<string, unknown>;
  /** Identity of the dump (size and mtime): a changed file must not resume an old import. */
  dumpIdentity?: { size: number; mtimeMs: number };
  stages: Record<string, StageRecord>;
}

export function runIdFor(inputs: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 12);
}

export function dumpIdentity(path: string): { size: number; mtimeMs: number } | undefined {
  if (path === '-') return undefined;
  const s = statSync(path);
  return { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
}

export class RunDir {
  readonly dir: string;
  readonly serverDir: string;
  readonly statePath: string;
  readonly reportPath: string;
  readonly logPath: string;
  private lockPath: string;
  state: RunState;

  private constructor(dir: string, state: RunState) {
    this.dir = dir;
    this.serverDir = join(dir, 'server');
    this.statePath = join(dir, 'state.json');
    this.reportPath = join(dir, 'report.json');
    this.logPath = join(dir, 'run.log');
    this.lockPath = join(dir, 'lock');
    this.state = state;
  }

  /**
   * Opens (or creates) the run directory. `fresh` deletes what an earlier run left. A state whose
   * inputs or dump differ is refused: resuming it would mix two runs.
   */
  static open(opts: { root?: string; dir?: string; inputs: Record<string, unknown>; dump?: string; fresh?: boolean }): RunDir {
    const runId = runIdFor(opts.inputs);
    const dir = resolve(opts.dir ?? join(opts.root ?? DEFAULT_RUNS_ROOT, runId));
    const identity = opts.dump ? dumpIdentity(opts.dump) : undefined;
    if (opts.fresh && existsSync(dir)) {
      RunDir.assertUnlocked(join(dir, 'lock'));
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true });
    // A live owner is the more useful answer than any mismatch of its state.
    RunDir.assertUnlocked(join(dir, 'lock'));
    const statePath = join(dir, 'state.json');
    let state: RunState = { runId, inputs: opts.inputs, stages: {}, ...(identity ? { dumpIdentity: identity } : {}) };
    if (existsSync(statePath)) {
      const old = JSON.parse(readFileSync(statePath, 'utf8')) as RunState;
      if (JSON.stringify(old.inputs) !== JSON.stringify(opts.inputs)) {
        throw new ConfigError(`the run directory ${dir} belongs to a run with other options`, { hint: 'pass --fresh to start over there, or --run-dir to use another directory' });
      }
      if (identity && old.dumpIdentity && (old.dumpIdentity.size !== identity.size || old.dumpIdentity.mtimeMs !== identity.mtimeMs)) {
        throw new ConfigError(`the dump ${opts.dump} changed since the run in ${dir} started (size or modification time differ)`, {
          hint: 'pass --fresh to import the new dump from the start',
        });
      }
      state = old;
    }
    const rd = new RunDir(dir, state);
    rd.save();
    return rd;
  }

  private static assertUnlocked(lockPath: string): void {
    if (!existsSync(lockPath)) return;
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new ConfigError(`another drydock (pid ${pid}) is using ${lockPath.replace(/\/lock$/, '')}`, {
        hint: 'wait for it to finish, stop it, or use another --run-dir',
      });
    }
  }

  /** One drydock per run directory; a lock left by a dead process is taken over. */
  lock(): void {
    RunDir.assertUnlocked(this.lockPath);
    rmSync(this.lockPath, { force: true });
    try {
      const fd = openSync(this.lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
    } catch {
      RunDir.assertUnlocked(this.lockPath);
    }
  }

  unlock(): void {
    try {
      if (Number(readFileSync(this.lockPath, 'utf8').trim()) === process.pid) rmSync(this.lockPath, { force: true });
    } catch {
      /* gone already */
    }
  }

  stage(name: string): StageRecord | undefined {
    return this.state.stages[name];
  }

  record(name: string, rec: StageRecord): void {
    this.state.stages[name] = rec;
    this.save();
  }

  save(): void {
    const tmp = this.statePath + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    renameSync(tmp, this.statePath);
  }
}

