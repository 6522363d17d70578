/**
 * Export, first version: mysqldump with the flags a consistent, reloadable dump needs, plus a
 * manifest (tables, row counts, checksums, versions, how to reimport). The manifest is written
 * last: an out/ without manifest.json is not a finished export.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StageError } from '../errors.js';
import { tableDigest } from '../db/table-digest.js';
import { connect, qid, queryRows } from '../db/connection.js';
import { countRows, introspect } from '../db/introspect.js';
import { clientEnv, withClientOptionFile } from '../db/client-options.js';
import { findProgram } from '../engine/local.js';
import type { ServerAddress } from '../db/url.js';
import { exportCsvDir } from '../dump/csv-writer.js';

export const MANIFEST = 'manifest.json';
/** drydock's own bookkeeping tables in the scratch database; never exported. */
export const INTERNAL_TABLE_PREFIX = '_drydock';

export interface TableSummary {
  name: string;
  rows: number;
  /** CHECKSUM TABLE value (stable for the same rows on the same server version and row format). */
  checksum: string;
  /**
   * Digest of the rows computed in primary-key chunks (pipeline/db/table-digest.ts): what reimport
   * checks on production, where a whole-table CHECKSUM TABLE could outlast a proxy's idle
   * timeout. Absent for a table without a primary key, and in manifests of older drydocks.
   */
  digest?: string;
}

export interface Manifest {
  tool: 'drydock';
  format: 'sql' | 'csv';
  createdAt: string;
  database: string;
  server: { flavor: string; version: string };
  tables: TableSummary[];
  files: Array<{ name: string; bytes: number; sha256: string }>;
  /** Extra facts from the run (source dump, pack and version reached). */
  run?: Record<string, unknown>;
  reimport: string[];
}

export interface ExportOptions {
  address: ServerAddress;
  /** `sql` (default): one mysqldump-compatible file; `csv`: one `<table>.csv` per table plus schema.sql, for LOAD DATA. */
  format?: 'sql' | 'csv';
  out: string;
  serverVersion: string;
  flavor: string;
  run?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** Tables of the database (base tables only), excluding drydock's own. */
export async function userTables(address: ServerAddress): Promise<string[]> {
  const c = await connect(address);
  try {
    const [rows] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      [address.database],
    );
    return (rows as Array<{ t: string }>).map((r) => r.t).filter((t) => !t.startsWith(INTERNAL_TABLE_PREFIX));
  } finally {
    await c.end();
  }
}

/**
 * Exact row counts and checksums of every user table: the manifest's and verification's facts.
 * With `digest`, also each table's chunked row digest (for the manifest), whose walk counts the
 * rows too.
 */
export async function summarizeTables(address: ServerAddress, tables?: string[], opts: { digest?: boolean; signal?: AbortSignal } = {}): Promise<TableSummary[]> {
  const names = tables ?? (await userTables(address));
  const c = await connect(address);
  try {
    const schema = opts.digest ? await introspect(c, address.database) : undefined;
    const out: TableSummary[] = [];
    for (const name of names) {
      opts.signal?.throwIfAborted();
      const info = schema?.tables.get(name);
      const d = info ? await tableDigest(c, address.database, info, opts.signal ? { signal: opts.signal } : {}) : undefined;
      const [sum] = await queryRows<{ Checksum: unknown }>(c, `CHECKSUM TABLE ${qid(name)}`);
      const summary: TableSummary = { name, rows: d?.rows ?? (await countRows(c, name)), checksum: String(sum?.Checksum ?? '') };
      if (d !== undefined) summary.digest = d.digest;
      out.push(summary);
    }
    return out;
  } finally {
    await c.end();
  }
}

/** The sha256 of a file, streamed (the manifest's checksum of each export file). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

export function dumpProgram(): string {
  const p = findProgram(['mariadb-dump', 'mysqldump']);
  if (!p) throw new StageError('export', 'mysqldump is not installed', { hint: 'install it: apt-get install -y mariadb-client (scripts/setup does)' });
  return p;
}

export async function exportDump(o: ExportOptions): Promise<Manifest> {
  mkdirSync(o.out, { recursive: true });
  const manifestPath = join(o.out, MANIFEST);
  // A manifest from an earlier export would vouch for files we are about to replace.
  rmSync(manifestPath, { force: true });
  const tables = await userTables(o.address);
  const files = o.format === 'csv' ? await writeCsv(o, tables) : [await writeSql(o)];
  const summaries = await summarizeTables(o.address, tables, { digest: true, ...(o.signal ? { signal: o.signal } : {}) });
  const manifest: Manifest = {
    tool: 'drydock',
    format: o.format ?? 'sql',
    createdAt: new Date().toISOString(),
    database: o.address.database,
    server: { flavor: o.flavor, version: o.serverVersion },
    tables: summaries,
    files: await Promise.all(files.map(async (name) => ({ name, bytes: statSync(join(o.out, name)).size, sha256: await fileSha256(join(o.out, name)) }))),
    ...(o.run ? { run: o.run } : {}),
    reimport:
      o.format === 'csv'
        ? ['mysql <database> < schema.sql', 'drydock import --dump <this directory> --engine-url mysql://user@host:port/<database>   (LOAD DATA LOCAL INFILE per table)']
        : [`mysql --binary-mode <database> < ${files[0]}`],
  };
  writeFileSync(manifestPath + '.partial', JSON.stringify(manifest, null, 2) + '\n');
  renameSync(manifestPath + '.partial', manifestPath);
  return manifest;
}

async function writeSql(o: ExportOptions): Promise<string> {
  const file = `${o.address.database}.sql`;
  const target = join(o.out, file);
  const partial = `${target}.partial`;
  const program = dumpProgram();
  const help = (await execa(program, ['--help'], { reject: false })).stdout;
  const internal = await internalTables(o.address);
  const args = [
    '--single-transaction',
    '--quick',
    '--hex-blob',
    '--routines',
    '--triggers',
    '--events',
    '--max-allowed-packet=1G',
    ...(help.includes('--set-gtid-purged') ? ['--set-gtid-purged=OFF'] : []),
    ...internal.map((t) => `--ignore-table=${o.address.database}.${t}`),
    o.address.database,
  ];
  await withClientOptionFile(o.address, async (cnf) => {
    const child = execa(program, [`--defaults-extra-file=${cnf}`, ...args], {
      env: clientEnv(),
      extendEnv: false,
      reject: false,
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: { stdout: false, stderr: true },
      ...(o.signal ? { cancelSignal: o.signal } : {}),
    });
    const write = pipeline(child.stdout!, createWriteStream(partial));
    const r = await child;
    await write.catch(() => {});
    if (r.isCanceled) throw Object.assign(new Error('export interrupted'), { name: 'AbortError' });
    if (r.exitCode !== 0) {
      throw new StageError('export', `${basename(program)} failed (exit ${r.exitCode}): ${String(r.stderr).trim()}`, {
        hint: 'read the message above; the scratch server keeps the data, so re-running the command retries the export',
      });
    }
  });
  renameSync(partial, target);
  return file;
}

/** One `<table>.csv` per table plus schema.sql (the format `drydock import` reads back). */
async function writeCsv(o: ExportOptions, tables: string[]): Promise<string[]> {
  const r = await exportCsvDir({ address: o.address, dir: o.out, tables, ...(o.signal ? { signal: o.signal } : {}) });
  return [basename(r.schemaFile), ...r.tables.map((t) => basename(t.file))];
}

async function internalTables(address: ServerAddress): Promise<string[]> {
  const c = await connect(address);
  try {
    const [rows] = await c.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_drydock%'`, [address.database]);
    return (rows as Array<{ t: string }>).map((r) => r.t);
  } finally {
    await c.end();
  }
}

export function hasManifest(out: string): boolean {
  return existsSync(join(out, MANIFEST));
}
