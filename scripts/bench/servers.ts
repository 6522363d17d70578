/**
 * Benchmark servers: every measured load or dump gets a fresh, identically tuned local server
 * (drydock's own `local` engine, the bulk-load settings drydock uses), started from a copy of a
 * datadir: an empty one for imports, a loaded one for migrate and export. So every tool starts
 * with a cold buffer pool and the same files, and no run inherits another's cache or garbage.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { localEngine } from '../../pipeline/engine/local.js';
import type { StartedServer } from '../../pipeline/engine/engine.js';

/** The database every benchmark loads into. */
export const BENCH_DATABASE = 'bench';

/** Datadir of a freshly initialised server with an empty `bench` database (made once, kept). */
export async function emptyDataDir(workDir: string): Promise<string> {
  const dir = join(workDir, 'template-empty');
  const data = join(dir, 'data');
  if (existsSync(join(dir, 'ready'))) return data;
  rmSync(dir, { recursive: true, force: true });
  const s = await localEngine.start({ dir, database: BENCH_DATABASE });
  await s.stop();
  await sparsify(data);
  await execa('touch', [join(dir, 'ready')]);
  return data;
}

/**
 * The redo log is preallocated (4 GiB with a big buffer pool) and mostly zeros: punching holes
 * into the template's copy makes every later `cp` copy only the written parts. The server reads
 * holes as zeros, so nothing changes for it.
 */
async function sparsify(dataDir: string): Promise<void> {
  for (const f of ['ib_logfile0', 'ibtmp1']) {
    const p = join(dataDir, f);
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.blocks * 512 > st.size / 2) await execa('fallocate', ['--dig-holes', p], { reject: false });
  }
}

/**
 * Starts a server in `workDir/servers/<name>` on a copy of `fromDataDir`. The copy leaves out the
 * saved buffer pool page list (ib_buffer_pool), so no run starts with a pool warmed by another.
 */
export async function serverFrom(workDir: string, name: string, fromDataDir: string): Promise<StartedServer> {
  const dir = join(workDir, 'servers', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await sparsify(fromDataDir);
  await execa('cp', ['-a', '--sparse=always', fromDataDir, join(dir, 'data')]);
  rmSync(join(dir, 'data', 'ib_buffer_pool'), { force: true });
  const server = await localEngine.start({ dir, database: BENCH_DATABASE });
  lastOptions = serverOptionsOf(join(dir, 'my.cnf'));
  return server;
}

let lastOptions: Record<string, string> = {};

/** The tuning options (not paths) of the [mysqld] option file the engine wrote. */
function serverOptionsOf(cnf: string): Record<string, string> {
  const paths = new Set(['datadir', 'socket', 'pid-file', 'log-error', 'tmpdir', 'user']);
  const out: Record<string, string> = {};
  for (const line of readFileSync(cnf, 'utf8').split('\n')) {
    const m = /^([a-z][\w-]*)(?:=(.*))?$/.exec(line.trim());
    if (m && !paths.has(m[1]!)) out[m[1]!] = m[2] ?? 'ON';
  }
  return out;
}

/** The server options of the last benchmark server started (all are started alike). */
export function benchServerOptions(): Record<string, string> {
  return { ...lastOptions };
}

/** Stops the server and removes its directory. */
export async function discard(server: StartedServer, workDir: string, name: string): Promise<void> {
  await server.stop();
  rmSync(join(workDir, 'servers', name), { recursive: true, force: true });
}

/** Stops the server and keeps its datadir as `toDataDir` (replacing it). */
export async function keepAs(server: StartedServer, workDir: string, name: string, toDataDir: string): Promise<void> {
  await server.stop();
  rmSync(toDataDir, { recursive: true, force: true });
  renameSync(join(workDir, 'servers', name, 'data'), toDataDir);
  rmSync(join(workDir, 'servers', name), { recursive: true, force: true });
}

/** The server's own peak resident memory so far (VmHWM), bytes; undefined without a local pid. */
export function serverPeakRss(server: StartedServer, read: (pid: number) => { hwm: number } | undefined): number | undefined {
  return server.pid ? read(server.pid)?.hwm : undefined;
}
