/**
 * Child processes (mysql, mysqldump, mydumper) get the connection through an option file of mode
 * 0600 that lives only as long as the child: a password on a command line is visible to every
 * user in `ps`.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { renderClientOptionFile } from '../engine/server-config.js';
import { isAlive } from '../process-state.js';
import type { ServerAddress } from './url.js';

/** Option file directories are named `drydock-client-<pid>-XXXXXX`, pid = the drydock that made it. */
const DIR_PREFIX = 'drydock-client-';
const DIR_PATTERN = /^drydock-client-(\d+)-/;

/**
 * Removes option file directories left by a drydock that no longer runs. A drydock killed with
 * SIGKILL while a client child ran cannot remove its own file, which may hold a password; the next
 * drydock to write one removes it instead. Directories of other users are left alone (and cannot
 * be removed anyway).
 */
export function sweepStaleOptionFiles(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = DIR_PATTERN.exec(name);
    if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* another user's, or gone already */
    }
  }
  return removed;
}

export interface ClientOptionFile {
  path: string;
  /** Deletes the file (and its private directory). */
  dispose(): void;
}

export function writeClientOptionFile(a: ServerAddress): ClientOptionFile {
  sweepStaleOptionFiles();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const path = join(dir, 'client.cnf');
  const opts: Parameters<typeof renderClientOptionFile>[0] = { user: a.user, host: a.host, port: a.port };
  if (a.password !== undefined) opts.password = a.password;
  if (a.socket) opts.socket = a.socket;
  writeFileSync(path, renderClientOptionFile(opts), { mode: 0o600 });
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn` with an option file, removing it afterwards whatever happens. */
export async function withClientOptionFile<T>(a: ServerAddress, fn: (path: string) => Promise<T>): Promise<T> {
  const f = writeClientOptionFile(a);
  try {
    return await fn(f.path);
  } finally {
    f.dispose();
  }
}

/**
 * The environment for a client child process. MYSQL_PWD is removed: the connection's password,
 * if it has one, is in the option file, and an inherited MYSQL_PWD (set for production) would
 * otherwise be tried against the scratch server too.
 */
export function clientEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { MYSQL_PWD: _ignored, ...rest } = env;
  return rest;
}
