/**
 * Child processes (mysql, mysqldump, mydumper) get the connection through an option file of mode
 * 0600 that lives only as long as the child: a password on a command line is visible to every
 * user in `ps`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { renderClientOptionFile } from '../engine/server-config.js';
import type { ServerAddress } from './url.js';

export interface ClientOptionFile {
  path: string;
  /** Deletes the file (and its private directory). */
  dispose(): void;
}

export function writeClientOptionFile(a: ServerAddress): ClientOptionFile {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-client-'));
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
