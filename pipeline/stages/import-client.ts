/**
 * The reference importer: the `mysql` client fed the dump as a stream. Correct for anything the
 * client accepts, and the baseline the native importer is measured against.
 */
import { execa } from 'execa';
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Transform } from 'node:stream';
import { DumpError, StageError } from '../errors.js';
import { clientEnv, withClientOptionFile } from '../db/client-options.js';
import { findProgram } from '../engine/local.js';
import type { ServerAddress } from '../db/url.js';
import { isGzipFile } from '../dump/sql-source.js';

export interface ClientImportEvent {
  type: 'import-progress';
  bytesRead: number;
  bytesTotal: number | undefined;
}

export interface ClientImportOptions {
  address: ServerAddress;
  dump: string;
  signal?: AbortSignal;
  onEvent?: (e: ClientImportEvent) => void;
}

export function clientProgram(): string {
  const p = findProgram(['mariadb', 'mysql']);
  if (!p) throw new StageError('import', 'the mysql client is not installed', { hint: 'install it: apt-get install -y mariadb-client (scripts/setup does)' });
  return p;
}

export async function importWithClient(o: ClientImportOptions): Promise<{ bytes: number; seconds: number }> {
  const started = Date.now();
  const total = o.dump === '-' ? undefined : statSync(o.dump).size;
  let read = 0;
  let lastEvent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      read += chunk.length;
      const now = Date.now();
      if (now - lastEvent > 1000) {
        lastEvent = now;
        o.onEvent?.({ type: 'import-progress', bytesRead: read, bytesTotal: total });
      }
      cb(null, chunk);
    },
  });
  const source = o.dump === '-' ? process.stdin : createReadStream(o.dump);
  let input: NodeJS.ReadableStream = source.pipe(counter);
  if (o.dump !== '-' && (await isGzipFile(o.dump))) input = input.pipe(createGunzip());
  const client = clientProgram();
  const r = await withClientOptionFile(o.address, (cnf) => {
    const child = execa(client, [`--defaults-extra-file=${cnf}`, '--binary-mode', '--max-allowed-packet=1G', o.address.database], {
      env: clientEnv(),
      extendEnv: false,
      reject: false,
      stdout: 'ignore',
      stderr: 'pipe',
      ...(o.signal ? { cancelSignal: o.signal } : {}),
    });
    input.pipe(child.stdin!);
    child.stdin!.on('error', () => {}); // the client exiting early closes its stdin; its exit code says why
    return child;
  });
  o.onEvent?.({ type: 'import-progress', bytesRead: read, bytesTotal: total });
  if (r.isCanceled) throw Object.assign(new Error('import interrupted'), { name: 'AbortError' });
  if (r.exitCode !== 0) {
    const msg = String(r.stderr ?? '').trim();
    const m = /ERROR (\d+) \(\w+\)(?: at line (\d+))?: (.*)/.exec(msg);
    if (m?.[2]) {
      const table = /Table '(?:[^.']+\.)?([^']+)'/.exec(m[3] ?? '')?.[1];
      throw new DumpError(`the server rejected a statement: error ${m[1]}: ${m[3]}`, { file: o.dump, offset: -1, line: Number(m[2]) }, {
        hint: 'fix the dump at that line (or re-create it), then re-run with --fresh',
        ...(table ? { table } : {}),
      });
    }
    throw new StageError('import', `the mysql client failed (exit ${r.exitCode}): ${msg || r.signal}`, { hint: 'read the message above; re-run resumes from the last finished stage' });
  }
  return { bytes: read, seconds: (Date.now() - started) / 1000 };
}
