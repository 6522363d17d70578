/**
 * The reimport stage: the safe way back into production. An export (out/ with manifest.json) is
 * checked file by file, loaded into a STAGING database on the production server with short
 * statements, verified against the manifest, and swapped in with ONE `RENAME TABLE` statement that
 * moves every live table to a BACKUP database and every staged table into the live one. The old
 * tables stay in the backup until the operator runs `cleanup`; `rollback` is the same swap reversed.
 *
 * What the swap does to the objects around the tables (observed on MariaDB 10.11; MySQL 8 documents
 * the same):
 * - Foreign keys move with their tables: all tables move in one statement, so live children point
 *   at live parents again afterwards, and backup children at backup parents.
 * - Views are not moved (RENAME TABLE refuses to change a view's schema). A live view names its
 *   tables as `db`.`t`, so after the swap it reads the NEW tables. Views in the export are created
 *   in the staging database and stay there; `reimport` warns about each live view that no longer
 *   resolves and each exported view that production lacks.
 * - Triggers cannot follow a table into another schema ("Trigger in wrong schema"): a table with
 *   triggers on either side is refused before anything is loaded or renamed.
 * - Routines and events belong to the database, not to tables: production keeps its own; the
 *   export's copies are created in the staging database only.
 *
 * Bookkeeping: the importer's ledger (`_drydock_import`) moves with the swap into the backup and
 * back with a rollback, so a rolled-back result can be swapped in again without loading it again.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { connect, namedLockName, qid, queryRows } from '../db/connection.js';
import { DIGEST_CHUNK_ROWS, tableDigest } from '../db/table-digest.js';
import { introspect } from '../db/introspect.js';
import { flavorOf, type Flavor } from '../engine/engine.js';
import type { ServerAddress } from '../db/url.js';
import { ConfigError, StageError, VerificationError } from '../errors.js';
import { fileSha256, INTERNAL_TABLE_PREFIX, MANIFEST, type Manifest, type TableSummary } from './export.js';
import { importDump, LEDGER_TABLE, type ImportEvent } from './import.js';
import { importWithClient } from './import-client.js';

export const STAGING_SUFFIX = '_drydock_new';
export const BACKUP_SUFFIX = '_drydock_old';
/** Loading connections on production: enough to be quick, few enough to leave the server to its users. */
export const DEFAULT_REIMPORT_THREADS = Math.min(4, availableParallelism());
/**
 * How long the RENAME waits for metadata locks. A long transaction on a live table blocks the
 * RENAME, and every query on that table queues behind the waiting RENAME: better to give up fast
 * and retry than to stall the application.
 */
export const DEFAULT_RENAME_LOCK_WAIT_SECONDS = 10;
/** The idle control connection (which holds the named lock) pings this often, under any proxy's idle timeout. */
export const KEEPALIVE_MS = 30_000;

export type LoaderChoice = 'auto' | 'native' | 'client';

export interface ReimportOptions {
  /** The production server and its live database. */
  address: ServerAddress;
  /** An export directory holding manifest.json and the files it lists. */
  from: string;
  /** Default `<db>_drydock_new`. Created when missing; a partial load there of the same dump is resumed. */
  stagingDatabase?: string;
  /** Default `<db>_drydock_old`. Must hold no tables, unless `force`. */
  backupDatabase?: string;
  /** Loading connections; default DEFAULT_REIMPORT_THREADS. */
  threads?: number;
  /**
   * `native`: drydock's parallel importer, resumable per table. `client`: the mysql client, one
   * connection, restarts from the first table. `auto` (default): native, unless the server writes
   * a binlog and this user may turn it off for the session (the native loader does): then client,
   * so that replicas receive the staged rows before they receive the RENAME.
   */
  loader?: LoaderChoice;
  /** Drop whatever the backup database holds (the rollback point of an earlier swap) before swapping. */
  force?: boolean;
  /**
   * false: load and verify only, leaving live tables untouched, so an operator can look before the
   * swap; the same command with the default (true) then resumes, loads nothing, verifies and swaps.
   */
  swap?: boolean;
  renameLockWaitSeconds?: number;
  signal?: AbortSignal;
  onEvent?: (e: ReimportEvent) => void;
  /** Runs after the load and before verification (a seam for tests and for extra checks). */
  beforeVerify?: (staging: ServerAddress) => Promise<void>;
}

/**
 * What verification compared: `rows+digest` (chunked row digests, for every table with a primary
 * key; CHECKSUM TABLE for the others when the versions match), `rows+checksum`, or `rows` only.
 */
export type Comparison = 'rows+digest' | 'rows+checksum' | 'rows';

export interface ReimportResult {
  database: string;
  staging: string;
  backup: string;
  loader: 'native' | 'client';
  /** What verification compared per table (see `checksumsComparable`). */
  compared: Comparison;
  tables: TableSummary[];
  /** False when called with `swap: false`: staged and verified, live untouched. */
  swapped: boolean;
  /** Live tables moved to the backup (including those the export no longer has). */
  movedToBackup: string[];
  /** Staged tables moved into the live database. */
  movedToLive: string[];
  warnings: string[];
  seconds: number;
}

export type ReimportEvent =
  | ImportEvent
  | { type: 'reimport-start'; database: string; staging: string; backup: string; from: string }
  | { type: 'manifest-checked'; files: number; bytes: number; tables: number; exportedFrom: string }
  | { type: 'lock-acquired'; lock: string }
  | { type: 'load-start'; loader: 'native' | 'client'; reason: string; staging: string }
  | { type: 'verify-table'; table: string; rows: number; checksum: string | undefined; digest: string | undefined }
  | { type: 'verified'; tables: number; compared: Comparison; reason: string }
  | { type: 'backup-cleared'; backup: string; tables: string[] }
  | { type: 'swap-start'; toBackup: number; toLive: number; lockWaitSeconds: number }
  | { type: 'swapped'; database: string; backup: string; seconds: number }
  | { type: 'rolled-back'; database: string; restored: string[]; movedAside: string[]; staging: string }
  | { type: 'dropped'; database: string; table: string | undefined }
  | { type: 'warning'; message: string; hint: string };

export interface CheckedExport {
  manifest: Manifest;
  /** Absolute path of the SQL dump. */
  dump: string;
  bytes: number;
}

interface Names {
  live: string;
  staging: string;
  backup: string;
}

function namesOf(o: { address: ServerAddress; stagingDatabase?: string | undefined; backupDatabase?: string | undefined }): Names {
  const live = o.address.database;
  const n = { live, staging: o.stagingDatabase ?? live + STAGING_SUFFIX, backup: o.backupDatabase ?? live + BACKUP_SUFFIX };
  if (new Set([n.live, n.staging, n.backup]).size !== 3) {
    throw new ConfigError(`the live (${n.live}), staging (${n.staging}) and backup (${n.backup}) databases must be three different databases`, {
      hint: 'omit --staging-database and --backup-database to use <db>_drydock_new and <db>_drydock_old',
    });
  }
  for (const [role, name] of [['staging', n.staging], ['backup', n.backup]] as const) {
    if (name.length > 64) {
      throw new ConfigError(`the ${role} database name '${name}' is longer than 64 characters`, { hint: `choose a shorter one with --${role}-database` });
    }
  }
  return n;
}

/**
 * Checks an export directory: a finished export (manifest.json present, written last), every
 * listed file present with its size and sha256. Reads only the directory; nothing on a server.
 */
export async function checkExport(from: string): Promise<CheckedExport> {
  const dir = resolve(from);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError(`--from ${from} is not a directory`, { hint: 'pass the --out directory of `drydock run` or `drydock export`' });
  }
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    throw new StageError('reimport', `${from} has no ${MANIFEST}: the export did not finish (the manifest is written last), so its files are not vouched for`, {
      hint: 'run the export again (`drydock export` or `npm run pipeline`) and reimport its directory once manifest.json is there',
    });
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new StageError('reimport', `${path} is not valid JSON`, { cause: err, hint: 'run the export again; do not edit the manifest by hand' });
  }
  if (manifest.tool !== 'drydock' || !Array.isArray(manifest.tables) || !Array.isArray(manifest.files) || manifest.files.length === 0) {
    throw new StageError('reimport', `${path} is not a drydock manifest (tool, tables and files are required)`, { hint: 'pass the directory drydock exported to' });
  }
  if (manifest.format !== 'sql') {
    throw new StageError('reimport', `${path} describes a '${manifest.format}' export; reimport loads SQL exports only`, {
      hint: 'export again with --format sql (the default)',
    });
  }
  let bytes = 0;
  for (const f of manifest.files) {
    // A manifest names files inside its own directory; anything else is not ours to read.
    if (basename(f.name) !== f.name) {
      throw new StageError('reimport', `${path} lists '${f.name}', which is not a file of ${from}`, { hint: 'run the export again' });
    }
    const file = join(dir, f.name);
    if (!existsSync(file)) {
      throw new VerificationError('reimport', `${file} is listed in the manifest but missing`, { hint: 'copy the whole export directory again, or run the export again' });
    }
    const size = statSync(file).size;
    if (size !== f.bytes) {
      throw new VerificationError('reimport', `${file} has ${size} bytes, the manifest says ${f.bytes}: the file was truncated or changed after the export`, {
        hint: 'copy it again from where the export ran (a partial copy is the usual cause), or run the export again',
      });
    }
    const sum = await fileSha256(file);
    if (sum !== f.sha256) {
      throw new VerificationError('reimport', `${file} has sha256 ${sum}, the manifest says ${f.sha256}: the file changed after the export`, {
        hint: 'copy it again from where the export ran, or run the export again; never edit an export by hand',
      });
    }
    bytes += size;
  }
  const sql = manifest.files.find((f) => f.name.endsWith('.sql')) ?? manifest.files[0]!;
  return { manifest, dump: join(dir, sql.name), bytes };
}

/**
 * CHECKSUM TABLE values are only comparable between servers of the same flavor and version (the
 * algorithm and the row formats differ across versions). Patch-level suffixes such as
 * `-0+deb12u1` or `-log` are packaging, not the server.
 */
export function checksumsComparable(manifestServer: { flavor: string; version: string }, productionVersion: string): { comparable: boolean; reason: string } {
  const num = (v: string) => /^(\d+\.\d+\.\d+)/.exec(v)?.[1];
  const a = `${exportFlavor(manifestServer)} ${num(manifestServer.version) ?? manifestServer.version}`;
  const b = `${flavorOf(productionVersion)} ${num(productionVersion) ?? productionVersion}`;
  return a === b
    ? { comparable: true, reason: `same server (${b}): exact row counts and CHECKSUM TABLE` }
    : {
        comparable: false,
        reason: `the export was checksummed on ${a} and production is ${b}: CHECKSUM TABLE values differ across versions, so only exact row counts are compared (the dump itself is vouched for by its sha256)`,
      };
}

/**
 * Chunked row digests (table-digest.ts) compare between servers of one flavor: the server prints
 * the values it hashes, and MariaDB and MySQL print some (floating point) differently.
 */
export function digestsComparable(manifestServer: { flavor: string; version: string }, productionVersion: string): boolean {
  return exportFlavor(manifestServer) === flavorOf(productionVersion);
}

/** The flavor of the server an export came from: its recorded flavor, or what its version string says. */
function exportFlavor(server: { flavor: string; version: string }): Flavor {
  return server.flavor === 'mariadb' ? 'mariadb' : flavorOf(server.version);
}

/** A GET_LOCK name per live database; at most 64 characters, as MySQL 5.7+ requires. */
export function lockName(database: string): string {
  return namedLockName('drydock-swap', database);
}

async function databaseExists(c: Connection, db: string): Promise<boolean> {
  return (await queryRows(c, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db])).length > 0;
}

/** Base tables of a database; `internal` includes drydock's own `_drydock*` tables. */
async function baseTables(c: Connection, db: string, internal = false): Promise<string[]> {
  const r = await queryRows<{ t: string }>(
    c,
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [db],
  );
  return r.map((x) => x.t).filter((t) => internal || !t.startsWith(INTERNAL_TABLE_PREFIX));
}

async function views(c: Connection, db: string): Promise<string[]> {
  return (await queryRows<{ t: string }>(c, `SELECT TABLE_NAME AS t FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [db])).map((x) => x.t);
}

async function triggers(c: Connection, dbs: string[]): Promise<string[]> {
  const r = await queryRows<{ s: string; n: string; t: string }>(
    c,
    `SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?) ORDER BY 1, 2`,
    [dbs],
  );
  return r.map((x) => `${x.s}.${x.n} (on ${x.t})`);
}

function refuseTriggers(found: string[]): void {
  if (found.length === 0) return;
  throw new StageError('reimport', `tables with triggers cannot be moved to another database by RENAME TABLE ("Trigger in wrong schema"): ${found.join(', ')}`, {
    hint: 'save the trigger definitions (SHOW CREATE TRIGGER), drop them, run the swap, then create them again on the live tables; or drop them from the export',
  });
}

async function ensureDatabaseLike(c: Connection, db: string, like: string): Promise<void> {
  const [cs] = await queryRows<{ c: string; k: string }>(
    c,
    'SELECT DEFAULT_CHARACTER_SET_NAME AS c, DEFAULT_COLLATION_NAME AS k FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [like],
  );
  const charset = cs ? ` CHARACTER SET ${cs.c} COLLATE ${cs.k}` : '';
  await c.query(`CREATE DATABASE IF NOT EXISTS ${qid(db)}${charset}`);
}

/**
 * Holds the per-database named lock on its own connection for the lifetime of an operation.
 * Crash-safe by construction: a session's GET_LOCK locks are released when the session ends, so
 * a killed drydock (or a dropped connection) never leaves the lock behind.
 */
class SwapLock {
  private timer: NodeJS.Timeout | undefined;
  private constructor(
    readonly conn: Connection,
    readonly name: string,
  ) {}

  static async take(address: ServerAddress, database: string): Promise<SwapLock> {
    const conn = await connect(address, null);
    const name = lockName(database);
    const [r] = await queryRows<{ got: number | null }>(conn, 'SELECT GET_LOCK(?, 0) AS got', [name]);
    if (Number(r?.got) !== 1) {
      const [who] = await queryRows<{ id: number | null }>(conn, 'SELECT IS_USED_LOCK(?) AS id', [name]).catch(() => [] as Array<{ id: number | null }>);
      await conn.end().catch(() => conn.destroy());
      throw new StageError('reimport', `another drydock reimport, rollback or cleanup of ${database} is running (lock '${name}' held by connection ${who?.id ?? '?'})`, {
        hint: 'wait for it to finish; if it is stuck, find it with SHOW PROCESSLIST and KILL that connection (the lock goes with it)',
      });
    }
    const lock = new SwapLock(conn, name);
    lock.timer = setInterval(() => void conn.query('SELECT 1').catch(() => undefined), KEEPALIVE_MS);
    lock.timer.unref();
    return lock;
  }

  /** The lock is gone if its connection was dropped (e.g. by a proxy): check right before a swap. */
  async assertHeld(): Promise<void> {
    const [r] = await queryRows<{ mine: number | null }>(this.conn, 'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [this.name]).catch((err: unknown) => {
      throw new StageError('reimport', `the connection holding the lock '${this.name}' was lost; not swapping without it`, {
        cause: err,
        hint: 'run the same command again: the load resumes from the staging database',
      });
    });
    if (Number(r?.mine) !== 1) {
      throw new StageError('reimport', `the lock '${this.name}' is no longer held by this run; not swapping without it`, { hint: 'run the same command again' });
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.conn.query('SELECT RELEASE_LOCK(?)', [this.name]).catch(() => undefined);
    await this.conn.end().catch(() => this.conn.destroy());
  }
}

/**
 * True when this session could turn its binlog off. drydock's native loader does so (it is built
 * for scratch servers); on production that would hide the staged rows from the replicas, which
 * would then fail on the RENAME of tables they never received.
 */
async function nativeLoaderWouldSkipBinlog(c: Connection): Promise<boolean> {
  const [r] = await queryRows<{ b: number | string }>(c, 'SELECT @@log_bin AS b');
  if (Number(r?.b) !== 1) return false;
  try {
    await c.query('SET SESSION sql_log_bin = 0');
  } catch {
    return false;
  }
  await c.query('SET SESSION sql_log_bin = 1');
  return true;
}

async function chooseLoader(c: Connection, choice: LoaderChoice): Promise<{ loader: 'native' | 'client'; reason: string }> {
  const skips = await nativeLoaderWouldSkipBinlog(c);
  if (choice === 'native' && skips) {
    throw new ConfigError('--loader native would load the staging tables with the binlog off (this user may set sql_log_bin), so replicas would never receive them', {
      hint: 'use --loader client (or auto), or run as a user without BINLOG ADMIN/SUPER',
    });
  }
  if (choice === 'client') return { loader: 'client', reason: 'chosen: the mysql client, one connection, binlog on' };
  if (choice === 'native') return { loader: 'native', reason: 'chosen: native parallel loader, resumable per table' };
  return skips
    ? { loader: 'client', reason: 'the server writes a binlog and this user may turn it off, which the native loader does: the mysql client keeps it on so replicas get the rows' }
    : { loader: 'native', reason: 'native parallel loader, resumable per table (binlog off, or this user cannot turn it off)' };
}

async function verifyStaging(
  c: Connection,
  staging: string,
  manifest: Manifest,
  compare: { checksums: boolean; digests: boolean },
  emit: (e: ReimportEvent) => void,
  signal: AbortSignal | undefined,
): Promise<TableSummary[]> {
  const present = await baseTables(c, staging);
  const schema = compare.digests ? await introspect(c, staging) : undefined;
  const expected = manifest.tables.map((t) => t.name);
  const problems: string[] = [];
  const missing = expected.filter((t) => !present.includes(t));
  const extra = present.filter((t) => !expected.includes(t));
  if (missing.length) problems.push(`missing in ${staging}: ${missing.join(', ')}`);
  if (extra.length) problems.push(`in ${staging} but not in the manifest: ${extra.join(', ')}`);
  const out: TableSummary[] = [];
  for (const want of manifest.tables) {
    if (!present.includes(want.name)) continue;
    signal?.throwIfAborted();
    // Production is read in primary-key chunks where the manifest has a digest: a whole-table
    // COUNT(*) or CHECKSUM TABLE of a big table can outlast a proxy's idle timeout.
    const info = want.digest !== undefined ? schema?.tables.get(want.name) : undefined;
    const digest = info ? await tableDigest(c, staging, info, signal ? { signal } : {}) : undefined;
    if (digest !== undefined) {
      emit({ type: 'verify-table', table: want.name, rows: digest.rows, checksum: undefined, digest: digest.digest });
      if (digest.rows !== want.rows) problems.push(`${want.name}: ${digest.rows} rows in ${staging}, the manifest says ${want.rows}`);
      else if (digest.digest !== want.digest) problems.push(`${want.name}: row digest ${digest.digest} in ${staging}, the manifest says ${want.digest}`);
      out.push({ name: want.name, rows: digest.rows, checksum: want.checksum, digest: digest.digest });
      continue;
    }
    const t = `${qid(staging)}.${qid(want.name)}`;
    const [cnt] = await queryRows<{ n: string | number }>(c, `SELECT COUNT(*) AS n FROM ${t}`);
    const n = Number(cnt?.n ?? 0);
    let checksum: string | undefined;
    if (compare.checksums) {
      const [sum] = await queryRows<{ Checksum: unknown }>(c, `CHECKSUM TABLE ${t}`);
      checksum = String(sum?.Checksum ?? '');
    }
    emit({ type: 'verify-table', table: want.name, rows: n, checksum, digest: undefined });
    if (n !== want.rows) problems.push(`${want.name}: ${n} rows in ${staging}, the manifest says ${want.rows}`);
    else if (checksum !== undefined && checksum !== want.checksum) problems.push(`${want.name}: CHECKSUM TABLE ${checksum} in ${staging}, the manifest says ${want.checksum}`);
    out.push({ name: want.name, rows: n, checksum: checksum ?? want.checksum });
  }
  if (problems.length) {
    throw new VerificationError('reimport', `the staging database does not hold what the export vouched for; nothing was swapped:\n  ${problems.join('\n  ')}`, {
      hint: `live tables are untouched. Load again from scratch with \`drydock cleanup\` (drops ${staging}) and the same reimport command; if it fails again, the export or the copy is at fault: run the export again`,
    });
  }
  return out;
}

function renameList(pairs: Array<[string, string, string]>): string {
  // [table, from database, to database]
  return pairs.map(([t, a, b]) => `${qid(a)}.${qid(t)} TO ${qid(b)}.${qid(t)}`).join(', ');
}

async function renameAtomically(c: Connection, pairs: Array<[string, string, string]>, lockWaitSeconds: number, database: string): Promise<void> {
  await c.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(lockWaitSeconds))}`);
  try {
    await c.query(`RENAME TABLE ${renameList(pairs)}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ER_LOCK_WAIT_TIMEOUT') {
      throw new StageError('reimport', `RENAME TABLE waited ${lockWaitSeconds}s for metadata locks on ${database} and gave up; nothing was renamed`, {
        cause: err,
        hint: 'a long transaction holds a live table (see SHOW PROCESSLIST / information_schema.INNODB_TRX); run the same command again when it ends, or raise --rename-lock-wait',
      });
    }
    throw new StageError('reimport', `RENAME TABLE failed: ${(err as Error).message}; the statement is atomic, nothing was renamed`, { cause: err, hint: 'fix the cause above and run the same command again' });
  }
}

async function viewWarnings(c: Connection, names: Names): Promise<Array<{ message: string; hint: string }>> {
  const out: Array<{ message: string; hint: string }> = [];
  const live = await views(c, names.live);
  for (const v of live) {
    try {
      await c.query(`SELECT 1 FROM ${qid(names.live)}.${qid(v)} LIMIT 0`);
    } catch (err) {
      out.push({
        message: `the live view ${names.live}.${v} no longer resolves against the new tables: ${(err as Error).message}`,
        hint: `re-create it for the new schema, or \`drydock rollback\``,
      });
    }
  }
  const exported = (await views(c, names.staging)).filter((v) => !live.includes(v));
  if (exported.length) {
    out.push({
      message: `views of the export are not in ${names.live} (RENAME TABLE cannot move views between databases): ${exported.join(', ')}`,
      hint: `create them in ${names.live} from SHOW CREATE VIEW in ${names.staging}, with its database name replaced`,
    });
  }
  return out;
}

/**
 * Loads an export into the staging database on production, verifies it against the manifest and
 * swaps it in atomically. Refuses, before changing anything, an unfinished or altered export, a
 * backup database still holding a previous swap (unless `force`), and tables with triggers.
 */
export async function reimport(o: ReimportOptions): Promise<ReimportResult> {
  const started = Date.now();
  const names = namesOf(o);
  const emit = (e: ReimportEvent) => o.onEvent?.(e);
  const threads = o.threads ?? DEFAULT_REIMPORT_THREADS;
  const lockWait = o.renameLockWaitSeconds ?? DEFAULT_RENAME_LOCK_WAIT_SECONDS;
  if (!(lockWait >= 1 && lockWait <= 3600)) {
    throw new ConfigError(`--rename-lock-wait must be from 1 to 3600 seconds (got ${lockWait})`, { hint: `omit it for ${DEFAULT_RENAME_LOCK_WAIT_SECONDS}` });
  }
  emit({ type: 'reimport-start', database: names.live, staging: names.staging, backup: names.backup, from: o.from });

  const checked = await checkExport(o.from);
  const { manifest } = checked;
  emit({ type: 'manifest-checked', files: manifest.files.length, bytes: checked.bytes, tables: manifest.tables.length, exportedFrom: manifest.database });
  o.signal?.throwIfAborted();

  const lock = await SwapLock.take(o.address, names.live);
  const c = lock.conn;
  try {
    emit({ type: 'lock-acquired', lock: lock.name });
    if (!(await databaseExists(c, names.live))) {
      throw new ConfigError(`the live database ${names.live} does not exist on the production server`, {
        hint: 'check the database in --engine-url; reimport replaces the tables of an existing database (CREATE DATABASE first for a first deploy)',
      });
    }
    const oldBackup = (await databaseExists(c, names.backup)) ? await baseTables(c, names.backup, true) : [];
    if (oldBackup.length && !o.force) {
      throw new StageError('reimport', `the backup database ${names.backup} still holds ${oldBackup.length} tables from an earlier swap (${oldBackup.slice(0, 5).join(', ')}${oldBackup.length > 5 ? ', …' : ''})`, {
        hint: `it is the rollback point of that swap: \`drydock rollback\` to restore it, or \`drydock cleanup\` to drop it; to discard it as part of this swap, pass --force`,
      });
    }
    refuseTriggers(await triggers(c, [names.live]));
    const [v] = await queryRows<{ v: string }>(c, 'SELECT VERSION() AS v');
    const cmp = checksumsComparable(manifest.server, v?.v ?? '');

    const { loader, reason } = await chooseLoader(c, o.loader ?? 'auto');
    const base = { database: names.live, staging: names.staging, backup: names.backup, loader };
    await ensureDatabaseLike(c, names.staging, names.live);
    const staging: ServerAddress = { ...o.address, database: names.staging };
    emit({ type: 'load-start', loader, reason, staging: names.staging });
    // The staged rows are written with the binlog ON: replicas must hold the staging tables before
    // they replay the RENAME that moves them. Loading into its own database touches no live table.
    // Statements stay short: the export's INSERTs are bounded by mysqldump's net_buffer_length and
    // both loaders send one statement at a time, so none outlives a proxy's idle timeout.
    if (loader === 'native') {
      await importDump({
        address: staging,
        dump: checked.dump,
        threads,
        ...(o.signal ? { signal: o.signal } : {}),
        onEvent: (e) => emit(e),
      });
    } else {
      const sizeTotal = checked.bytes;
      await importWithClient({
        address: staging,
        dump: checked.dump,
        ...(o.signal ? { signal: o.signal } : {}),
        onEvent: (e) =>
          emit({ type: 'import-progress', bytesRead: e.bytesRead, bytesTotal: e.bytesTotal ?? sizeTotal, percent: sizeTotal ? (100 * e.bytesRead) / sizeTotal : undefined, rows: 0, rowsPerSecond: 0, bytesPerSecond: 0, etaSeconds: undefined }),
      });
    }
    o.signal?.throwIfAborted();
    if (o.beforeVerify) await o.beforeVerify(staging);

    const digests = digestsComparable(manifest.server, v?.v ?? '') && manifest.tables.some((t) => t.digest !== undefined);
    const tables = await verifyStaging(c, names.staging, manifest, { checksums: cmp.comparable, digests }, emit, o.signal);
    const compared: Comparison = digests ? 'rows+digest' : cmp.comparable ? 'rows+checksum' : 'rows';
    const verifiedBy = digests
      ? `exact row counts and row digests, read in primary-key chunks of ${DIGEST_CHUNK_ROWS} rows; tables without a primary key: ${cmp.comparable ? 'row counts and CHECKSUM TABLE' : 'row counts'}`
      : cmp.reason;
    emit({ type: 'verified', tables: tables.length, compared, reason: verifiedBy });
    o.signal?.throwIfAborted();
    if (o.swap === false) {
      return { ...base, compared, tables, swapped: false, movedToBackup: [], movedToLive: [], warnings: [], seconds: (Date.now() - started) / 1000 };
    }

    // Everything below runs in seconds; the lock must still be ours (a proxy may have cut an idle connection).
    await lock.assertHeld();
    refuseTriggers(await triggers(c, [names.live, names.staging]));
    await ensureDatabaseLike(c, names.backup, names.live);
    const backupNow = await baseTables(c, names.backup, true);
    if (backupNow.length) {
      if (!o.force) throw new StageError('reimport', `the backup database ${names.backup} gained tables during the load: ${backupNow.join(', ')}`, { hint: 'find out who writes there; pass --force to drop them' });
      for (const t of backupNow) await c.query(`DROP TABLE ${qid(names.backup)}.${qid(t)}`);
      emit({ type: 'backup-cleared', backup: names.backup, tables: backupNow });
    }
    const live = await baseTables(c, names.live);
    const staged = await baseTables(c, names.staging);
    const ledger = (await baseTables(c, names.staging, true)).filter((t) => t === LEDGER_TABLE);
    // Out first, then in: the new tables take the names (and FK constraint names) the old ones free.
    const pairs: Array<[string, string, string]> = [
      ...live.map((t): [string, string, string] => [t, names.live, names.backup]),
      ...staged.map((t): [string, string, string] => [t, names.staging, names.live]),
      ...ledger.map((t): [string, string, string] => [t, names.staging, names.backup]),
    ];
    emit({ type: 'swap-start', toBackup: live.length, toLive: staged.length, lockWaitSeconds: lockWait });
    const swapStarted = Date.now();
    await renameAtomically(c, pairs, lockWait, names.live);
    emit({ type: 'swapped', database: names.live, backup: names.backup, seconds: (Date.now() - swapStarted) / 1000 });

    const warnings = await viewWarnings(c, names);
    for (const w of warnings) emit({ type: 'warning', ...w });
    return {
      ...base,
      compared,
      tables,
      swapped: true,
      movedToBackup: live,
      movedToLive: staged,
      warnings: warnings.map((w) => w.message),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await lock.release();
  }
}

export interface RollbackOptions {
  address: ServerAddress;
  stagingDatabase?: string;
  backupDatabase?: string;
  renameLockWaitSeconds?: number;
  onEvent?: (e: ReimportEvent) => void;
}

export interface RollbackResult {
  database: string;
  /** Tables moved from the backup into the live database. */
  restored: string[];
  /** Live tables (the reimported result) moved aside into the staging database. */
  movedAside: string[];
  staging: string;
}

/**
 * Undoes a swap with one atomic RENAME: live tables go aside into the staging database (with the
 * import ledger, so a later `reimport` of the same export swaps them in again without loading),
 * backup tables come back. Refuses an empty backup, and a staging database that holds tables.
 */
export async function rollback(o: RollbackOptions): Promise<RollbackResult> {
  const names = namesOf(o);
  const emit = (e: ReimportEvent) => o.onEvent?.(e);
  const lockWait = o.renameLockWaitSeconds ?? DEFAULT_RENAME_LOCK_WAIT_SECONDS;
  const lock = await SwapLock.take(o.address, names.live);
  const c = lock.conn;
  try {
    emit({ type: 'lock-acquired', lock: lock.name });
    const backupAll = (await databaseExists(c, names.backup)) ? await baseTables(c, names.backup, true) : [];
    const backup = backupAll.filter((t) => !t.startsWith(INTERNAL_TABLE_PREFIX));
    if (backup.length === 0) {
      throw new StageError('reimport', `the backup database ${names.backup} holds no tables: there is nothing to roll back to`, {
        hint: 'a rollback restores the tables an earlier reimport moved aside; check --backup-database, or whether `drydock cleanup` already dropped them',
      });
    }
    const stagingAll = (await databaseExists(c, names.staging)) ? await baseTables(c, names.staging, true) : [];
    if (stagingAll.length) {
      throw new StageError('reimport', `the staging database ${names.staging} holds tables (${stagingAll.slice(0, 5).join(', ')}${stagingAll.length > 5 ? ', …' : ''}), and the rollback moves the live tables there`, {
        hint: `drop it first (DROP DATABASE ${names.staging}: it holds a load that was never swapped in), or pass another --staging-database`,
      });
    }
    refuseTriggers(await triggers(c, [names.live, names.backup]));
    await ensureDatabaseLike(c, names.staging, names.live);
    const live = await baseTables(c, names.live);
    const ledger = backupAll.filter((t) => t === LEDGER_TABLE);
    await lock.assertHeld();
    await renameAtomically(
      c,
      [
        ...live.map((t): [string, string, string] => [t, names.live, names.staging]),
        ...backup.map((t): [string, string, string] => [t, names.backup, names.live]),
        ...ledger.map((t): [string, string, string] => [t, names.backup, names.staging]),
      ],
      lockWait,
      names.live,
    );
    emit({ type: 'rolled-back', database: names.live, restored: backup, movedAside: live, staging: names.staging });
    return { database: names.live, restored: backup, movedAside: live, staging: names.staging };
  } finally {
    await lock.release();
  }
}

export interface CleanupOptions {
  address: ServerAddress;
  stagingDatabase?: string;
  backupDatabase?: string;
  /** Drop the backup database (the rollback point). Default true. */
  backup?: boolean;
  /** Drop the staging database (a load never swapped in, or a result moved aside by rollback). Default true. */
  staging?: boolean;
  onEvent?: (e: ReimportEvent) => void;
}

export interface CleanupResult {
  dropped: Array<{ database: string; tables: string[] }>;
}

/**
 * Drops what reimport left beside production, once the operator is satisfied. Never automatic:
 * after this there is no rollback. Table by table, so each DROP is short.
 */
export async function cleanup(o: CleanupOptions): Promise<CleanupResult> {
  const names = namesOf(o);
  const emit = (e: ReimportEvent) => o.onEvent?.(e);
  const lock = await SwapLock.take(o.address, names.live);
  const c = lock.conn;
  try {
    emit({ type: 'lock-acquired', lock: lock.name });
    const targets = [...(o.backup === false ? [] : [names.backup]), ...(o.staging === false ? [] : [names.staging])];
    const dropped: CleanupResult['dropped'] = [];
    // Tables go one by one, and a parent before its children would be refused otherwise.
    await c.query('SET SESSION foreign_key_checks = 0');
    for (const db of targets) {
      if (!(await databaseExists(c, db))) continue;
      const tables = await baseTables(c, db, true);
      for (const t of tables) {
        await c.query(`DROP TABLE ${qid(db)}.${qid(t)}`);
        emit({ type: 'dropped', database: db, table: t });
      }
      await c.query(`DROP DATABASE ${qid(db)}`);
      emit({ type: 'dropped', database: db, table: undefined });
      dropped.push({ database: db, tables });
    }
    return { dropped };
  } finally {
    await lock.release();
  }
}
