/** Runs the drydock CLI as a child process, the way operators and CI call it. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
export { isAlive } from '../../pipeline/process-state.js';

export const CLI = fileURLToPath(new URL('../../pipeline/cli.ts', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `run` sizes its server from the machine's memory; tests keep each scratch datadir small on disk. */
function small(args: string[]): string[] {
  return args[0] === 'run' && !args.includes('--engine-url') ? [...args, '--server-memory', '1G'] : args;
}

export function drydockSync(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, ...small(args)], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env }, timeout: 300_000 });
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function drydock(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...small(args)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}


export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, run?: RunningCli): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run?.exit.then(() => (exited = true));
  while (!cond()) {
    // A child that already ended will never satisfy the condition: say why at once.
    if (exited) throw new Error(`drydock exited before ${what}; its stderr:\n${run?.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${run ? `; drydock's stderr so far:\n${run.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
