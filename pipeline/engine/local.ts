/**
 * The `local` engine: a private mariadbd/mysqld from this machine, datadir and socket inside the
 * run directory, bulk-load settings. It never outlives drydock: execa kills it when drydock exits,
 * SIGINT/SIGTERM stop it through the run's AbortSignal, and a watchdog shell stops it cleanly even
 * when drydock is killed with SIGKILL.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync, accessSync, constants } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir, totalmem, userInfo } from 'node:os';
import { join, resolve, delimiter } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StageError } from '../errors.js';
import { prepareDatabase } from '../db/connection.js';
import type { ServerAddress } from '../db/url.js';
import { flavorOf } from './engine.js';
import type { Engine, Flavor, ServerSpec, StartedServer } from './engine.js';
import { renderOptionFile } from './server-config.js';
import { isAlive } from '../process-state.js';

export const INSTALL_HINT =
  'install MariaDB\'s server: `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server` ' +
  '(or run scripts/setup, which does this), or use --engine external --engine-url mysql://user@host:port/db';

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/usr/local/mysql/bin', '/usr/bin', '/usr/local/bin'];
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 120_000;
/** Unix socket paths are limited to 107 bytes; longer run directories get a socket under the temp dir. */
const MAX_SOCKET_PATH = 100;

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Finds a program on PATH or in the usual sbin directories. */
export function findProgram(names: string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const name of names) for (const d of dirs) if (isExecutable(join(d, name))) return join(d, name);
  return undefined;
}

export interface ServerBinary {
  path: string;
  flavor: Flavor;
  version: string;
}

export async function findServerBinary(): Promise<ServerBinary> {
  const path = findProgram(['mariadbd', 'mysqld']);
  if (!path) {
    throw new StageError('engine', 'no MySQL or MariaDB server found on this machine (looked for mariadbd and mysqld on PATH and in /usr/sbin)', {
      hint: INSTALL_HINT,
    });
  }
  const { stdout } = await execa(path, ['--version']);
  // "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu" / "mysqld  Ver 8.0.36 for Linux"
  const version = /Ver\s+(\S+)/.exec(stdout)?.[1] ?? 'unknown';
  return { path, flavor: /mariadb/i.test(stdout) ? 'mariadb' : 'mysql', version };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function socketPathFor(dir: string): string {
  const inside = join(dir, 'mysqld.sock');
  if (inside.length <= MAX_SOCKET_PATH) return inside;
  return join(tmpdir(), `drydock-${createHash('sha1').update(dir).digest('hex').slice(0, 12)}.sock`);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log)';
  }
}


/** A stale pid file may name a pid the system has since given to another program: never signal that. */
function isServerProcess(pid: number): boolean {
  try {
    return /mariadbd|mysqld/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc: trust the pid file
  }
}

/** A server left by a drydock that was killed: wait for its watchdog to stop it, or stop it ourselves. */
export async function stopLeftover(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid || !isAlive(pid) || !isServerProcess(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) throw new StageError('engine', `a previous server (pid ${pid}) still runs on ${pidFile} and did not stop`, { hint: `stop it (kill ${pid}) and re-run` });
}

async function initialize(bin: ServerBinary, dataDir: string, cnf: string, logFile: string): Promise<void> {
  if (existsSync(join(dataDir, 'mysql'))) return;
  mkdirSync(dataDir, { recursive: true });
  if (bin.flavor === 'mariadb') {
    const installDb = findProgram(['mariadb-install-db', 'mysql_install_db']);
    if (!installDb) throw new StageError('engine', 'mariadb-install-db not found next to mariadbd', { hint: INSTALL_HINT });
    const r = await execa(installDb, [`--defaults-file=${cnf}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${userInfo().username}`], {
      reject: false,
      all: true,
    });
    if (r.exitCode !== 0) {
      writeFileSync(logFile, r.all ?? '');
      throw new StageError('engine', `initialising the datadir ${dataDir} failed (exit ${r.exitCode}):\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`, {
        hint: 'check free disk space and permissions of the run directory, or start over with --fresh',
      });
    }
  } else {
    const r = await execa(bin.path, [`--defaults-file=${cnf}`, '--initialize-insecure'], { reject: false, all: true });
    if (r.exitCode !== 0) {
      throw new StageError('engine', `mysqld --initialize-insecure failed for ${dataDir}:\n${tail(logFile)}`, {
        hint: 'check free disk space and permissions of the run directory, or start over with --fresh',
      });
    }
  }
}

export const localEngine: Engine = {
  name: 'local',
  async start(spec: ServerSpec): Promise<StartedServer> {
    const bin = await findServerBinary();
    const dir = resolve(spec.dir);
    const dataDir = join(dir, 'data');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const socket = socketPathFor(dir);
    const pidFile = join(dir, 'mysqld.pid');
    const errorLog = join(dir, 'error.log');
    const cnf = join(dir, 'my.cnf');
    const port = spec.tcp ? await freePort() : undefined;
    const cfg = {
      flavor: bin.flavor,
      dataDir,
      socket,
      pidFile,
      errorLog,
      tmpDir: tmp,
      memoryBytes: spec.memoryBytes ?? totalmem(),
      user: userInfo().username,
      ...(port === undefined ? {} : { port }),
      ...(spec.options ? { overrides: spec.options } : {}),
    };
    writeFileSync(cnf, renderOptionFile(cfg), { mode: 0o600 });
    await stopLeftover(pidFile);
    await initialize(bin, dataDir, cnf, errorLog);

    // No cancelSignal: on abort the run's `finally` stops the server cleanly through stop().
    const child = execa(bin.path, [`--defaults-file=${cnf}`], { stdio: 'ignore', reject: false, cleanup: !spec.keep, detached: !!spec.keep });
    let exitInfo: { code: number | null; signal: string | null } | undefined;
    const exited = child.then((r) => {
      exitInfo = { code: r.exitCode ?? null, signal: r.signal ?? null };
    });
    const pid = child.pid;
    if (!pid) throw new StageError('engine', `could not start ${bin.path}`, { hint: INSTALL_HINT });
    const watchdog = spec.keep ? { kill() {} } : spawnWatchdog(pid);
    if (spec.keep) child.unref();

    const address: ServerAddress = { user: 'root', host: port === undefined ? 'localhost' : '127.0.0.1', port: port ?? 0, socket, database: spec.database };
    if (port !== undefined) delete address.socket;
    const deadline = Date.now() + START_TIMEOUT_MS;
    let version = '';
    for (;;) {
      if (exitInfo) {
        throw new StageError('engine', `${bin.path} exited during start-up (code ${exitInfo.code}, signal ${exitInfo.signal}); last lines of ${errorLog}:\n${tail(errorLog)}`, {
          hint: 'read the error log; a datadir from another server version or a full disk are the usual causes (--fresh starts over)',
        });
      }
      try {
        version = await prepareDatabase({ ...address, socket });
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          child.kill('SIGTERM');
          throw new StageError('engine', `the server did not answer within ${START_TIMEOUT_MS / 1000}s; last lines of ${errorLog}:\n${tail(errorLog)}`, {
            hint: 'read the error log',
            cause: err,
          });
        }
        await sleep(100);
      }
    }

    let stopping: Promise<void> | undefined;
    return {
      engine: 'local',
      address,
      flavor: version ? flavorOf(version) : bin.flavor,
      version,
      pid,
      errorLog,
      exited: () => (stopping ? undefined : exitInfo),
      stop() {
        stopping ??= (async () => {
          if (!exitInfo) {
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(timer);
          }
          watchdog.kill();
        })();
        return stopping;
      },
    };
  },
};

/** Stops the server when drydock's process disappears, even by SIGKILL, which no handler sees. */
function spawnWatchdog(serverPid: number): { kill(): void } {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -0 "$2" 2>/dev/null && kill -TERM "$2"';
  const w = spawn('sh', ['-c', script, 'drydock-watchdog', String(process.pid), String(serverPid)], { detached: true, stdio: 'ignore' });
  w.unref();
  return {
    kill() {
      try {
        if (w.pid) process.kill(w.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}
