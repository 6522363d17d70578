/**
 * The import stage: drydock's own parallel importer (see pipeline/dump/loader.ts for how statements
 * are ordered over connections). This file owns what is around the loader: opening the dump, the
 * resume ledger `_drydock_import` in the scratch database, and progress events.
 *
 * Resume: a table is recorded done only after all its rows are committed and its deferred keys are
 * back. A re-run with the same dump skips done tables (their statements are still read and thrown
 * away) and loads every other table again from its CREATE, which drops whatever a killed run left.
 * A different dump refuses to resume: the ledger names the dump by size and hashes of its first and
 * last 64 KiB.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Connection } from 'mysql2/promise';
import { connect, qid } from '../db/connection.js';
import type { ServerAddress } from '../db/url.js';
import { ConfigError, StageError } from '../errors.js';
import { Loader, type TableState } from '../dump/loader.js';
import { splitStatements } from '../dump/splitter.js';
import { openSqlSource } from '../dump/sql-source.js';
import { statementPool } from '../dump/buffer-pool.js';
import { progressSnapshot } from '../report/progress.js';
import { rewriteForFlavor } from '../dump/flavor-rewrite.js';
import { flavorOf } from '../engine/engine.js';

/** The ledger table in the scratch database. */
export const LEDGER_TABLE = '_drydock_import';
/** Progress events at most this often. */
export const PROGRESS_INTERVAL_MS = 1000;
const IDENTITY_SAMPLE_BYTES = 64 * 1024;
/**
 * Loading connections by default: one per CPU. An extra connection used to pay while the importer's
 * own thread was busy collecting garbage (3 connections 25–27 s against 29–40 s for 2, 2 cores,
 * 1.7 GB Patchwork dump); since statements are sent without copies the importer's thread is idle
 * most of the time, and 2 and 3 connections measure the same (15.3–16.5 s against 15.9–16.8 s),
 * so the extra server thread only costs memory and contention.
 */
export function defaultThreads(): number {
  return availableParallelism();
}

/** The widest `threads` accepted: beyond this the server only spends its CPUs switching. */
export const MAX_THREADS = 64;

export interface ImportOptions {
  /** The scratch database to load into (it must exist). */
  address: ServerAddress;
  /** Path of a `.sql` or `.sql.gz` dump (gzip is recognised by content), or `-` for standard input. */
  dump: string;
  /** Loading connections; default {@link defaultThreads} (one per CPU). One more connection runs the DDL. */
  threads?: number;
  /** Aborting stops reading, rolls back uncommitted work and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Structured events (progress at most once a second); the CLI formats them. */
  onEvent?: (e: ImportEvent) => void;
}

export interface ImportTableResult {
  name: string;
  /** Rows the server reported inserted (affectedRows), including those of an earlier run for skipped tables. */
  rows: number;
  /** Statement bytes sent for the table. */
  bytes: number;
  /** Seconds from the table's CREATE to its keys being back; 0 when skipped. */
  seconds: number;
  /** Completed by an earlier run of the same dump. */
  skipped: boolean;
}

export interface ImportResult {
  tables: ImportTableResult[];
  /** Flavor rewrites applied to CREATE statements (e.g. a MySQL 8 collation on MariaDB). */
  rewrites: string[];
  /** Bytes of the dump as stored (compressed bytes for .gz). */
  bytes: number;
  seconds: number;
}

export type ImportEvent =
  | { type: 'import-start'; dump: string; bytesTotal: number | undefined; threads: number; resumedTables: number }
  | {
      type: 'import-progress';
      /** Bytes of the dump read as stored (compressed for .gz). */
      bytesRead: number;
      bytesTotal: number | undefined;
      percent: number | undefined;
      rows: number;
      /** Rows per second since the start. */
      rowsPerSecond: number;
      /** Stored bytes per second since the start. */
      bytesPerSecond: number;
      etaSeconds: number | undefined;
    }
  | { type: 'table-skipped'; table: string; rows: number }
  | { type: 'table-done'; table: string; rows: number; bytes: number; seconds: number }
  /** A table's deferred secondary keys were added back (one ALTER TABLE) once its rows were in. */
  | { type: 'table-keys'; table: string; keys: number; seconds: number }
  | { type: 'note'; message: string }
  | { type: 'import-done'; tables: number; rows: number; bytes: number; seconds: number };

/** Identifies a dump file without reading it all: size, and hashes of its ends. */
export async function dumpIdentity(path: string): Promise<string> {
  if (path === '-') return 'stdin';
  const st = await stat(path);
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    const n = Math.min(IDENTITY_SAMPLE_BYTES, st.size);
    const head = Buffer.alloc(n);
    await fh.read(head, 0, n, 0);
    const tail = Buffer.alloc(n);
    await fh.read(tail, 0, n, st.size - n);
    h.update(head).update(tail);
    return `${st.size}:${h.digest('hex').slice(0, 32)}`;
  } finally {
    await fh.close();
  }
}

interface LedgerRow {
  table_name: string;
  dump_identity: string;
  done: number;
  rows_loaded: string | number;
  bytes_loaded: string | number;
  end_offset: string | number;
}

async function ensureLedger(conn: Connection): Promise<void> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${qid(LEDGER_TABLE)} (
      table_name VARCHAR(64) NOT NULL PRIMARY KEY,
      dump_identity VARCHAR(100) NOT NULL,
      done TINYINT NOT NULL DEFAULT 0,
      rows_loaded BIGINT NOT NULL DEFAULT 0,
      bytes_loaded BIGINT NOT NULL DEFAULT 0,
      end_offset BIGINT NOT NULL DEFAULT 0,
      seconds DOUBLE NOT NULL DEFAULT 0,
      updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
}

/**
 * Loads a dump into `address.database` over several connections. Resumes an interrupted import
 * of the same dump; refuses one of a different dump.
 */
export async function importDump(o: ImportOptions): Promise<ImportResult> {
  const threads = o.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ConfigError(`--threads must be a whole number from 1 to ${MAX_THREADS} (got ${threads})`, {
      hint: `omit it to use one per CPU (${defaultThreads()})`,
    });
  }
  const started = Date.now();
  const emit = (e: ImportEvent) => o.onEvent?.(e);
  // Read chunks come from the statement pool: a big INSERT is then a view of its chunk, not a copy.
  const source = await openSqlSource(o.dump, { pool: statementPool });
  const identity = await dumpIdentity(o.dump);
  const control = await connect(o.address);
  let ledgerChain: Promise<unknown> = Promise.resolve();
  // Ledger writes come from several workers; one control connection runs them one after another.
  const ledger = (sql: string, params: unknown[]): Promise<void> => {
    const p = ledgerChain.then(() => control.query(sql, params));
    ledgerChain = p.catch(() => undefined);
    return p.then(() => undefined);
  };
  let rows = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await ensureLedger(control);
    const [recorded] = (await control.query(`SELECT * FROM ${qid(LEDGER_TABLE)}`)) as [LedgerRow[], unknown];
    const other = recorded.find((r) => r.dump_identity !== identity);
    if (other || (identity === 'stdin' && recorded.length > 0)) {
      throw new StageError(
        'import',
        identity === 'stdin'
          ? `${o.address.database} holds a partial import, and a dump read from standard input cannot be checked to be the same dump`
          : `${o.address.database} holds a partial import of a different dump (recorded ${other?.dump_identity}, this one is ${identity}); refusing to mix two dumps`,
        {
          hint: `import into a fresh database, or drop ${o.address.database} (or its ${LEDGER_TABLE} table and tables) to start over with this dump`,
        },
      );
    }
    const completed = new Map<string, { endOffset: number; rows: number; bytes: number }>();
    for (const r of recorded) {
      if (r.done) completed.set(r.table_name, { endOffset: Number(r.end_offset), rows: Number(r.rows_loaded), bytes: Number(r.bytes_loaded) });
    }
    emit({ type: 'import-start', dump: o.dump, bytesTotal: source.sizeBytes, threads, resumedTables: completed.size });

    const progress = () => {
      const now = Date.now();
      const snap = progressSnapshot({
        done: source.bytesRead(),
        ...(source.sizeBytes === undefined ? {} : { total: source.sizeBytes }),
        startedAt: started,
        now,
      });
      emit({
        type: 'import-progress',
        bytesRead: snap.done,
        bytesTotal: snap.total,
        percent: snap.percent,
        rows,
        rowsPerSecond: snap.elapsedSeconds > 0 ? rows / snap.elapsedSeconds : 0,
        bytesPerSecond: snap.rate,
        etaSeconds: snap.etaSeconds,
      });
    };
    if (o.onEvent) timer = setInterval(progress, PROGRESS_INTERVAL_MS);

    const [ver] = (await control.query('SELECT VERSION() AS v')) as [Array<{ v: string }>, unknown];
    const targetVersion = String(ver[0]?.v ?? '');
    const target = flavorOf(targetVersion);
    const loader = new Loader({
      rewrite: (sql) => rewriteForFlavor(sql, target, { targetVersion }),
      address: o.address,
      file: o.dump,
      threads,
      ...(o.signal ? { signal: o.signal } : {}),
      hooks: {
        completed,
        tableStarted: (t) =>
          ledger(
            `REPLACE INTO ${qid(LEDGER_TABLE)} (table_name, dump_identity, done, end_offset) VALUES (?, ?, 0, ?)`,
            [t.name, identity, t.endOffset],
          ),
        tableDone: (t) =>
          ledger(
            `UPDATE ${qid(LEDGER_TABLE)} SET done = 1, rows_loaded = ?, bytes_loaded = ?, end_offset = ?, seconds = ? WHERE table_name = ?`,
            [t.rows, t.bytes, t.endOffset, secondsOf(t), t.name],
          ),
        tableReopened: (t) =>
          ledger(`REPLACE INTO ${qid(LEDGER_TABLE)} (table_name, dump_identity, done, end_offset) VALUES (?, ?, 0, ?)`, [
            t.name,
            identity,
            t.endOffset,
          ]),
        columnCharsets: async (table) => {
          const [cs] = (await control.query(
            'SELECT DISTINCT CHARACTER_SET_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CHARACTER_SET_NAME IS NOT NULL',
            [table],
          )) as [Array<{ c: string }>, unknown];
          return cs.map((r) => r.c);
        },
        onKeys: (t, keys, seconds) => emit({ type: 'table-keys', table: t.name, keys, seconds }),
        onRows: (n) => {
          rows += n;
        },
        onTable: (e) => {
          if (e.type === 'table-skipped') emit({ type: 'table-skipped', table: e.table.name, rows: e.table.rows });
          else emit({ type: 'table-done', table: e.table.name, rows: e.table.rows, bytes: e.table.bytes, seconds: secondsOf(e.table) });
        },
        onNote: (message) => emit({ type: 'note', message }),
      },
    });
    const result = await loader.run(splitStatements(source.chunks, { file: o.dump }));
    await ledgerChain;
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      progress();
    }
    const seconds = (Date.now() - started) / 1000;
    const tables = result.tables
      .filter((t) => !t.name.startsWith('_drydock'))
      .map((t) => ({ name: t.name, rows: t.rows, bytes: t.bytes, seconds: t.skipped ? 0 : secondsOf(t), skipped: t.skipped }));
    const totalRows = tables.reduce((s, t) => s + t.rows, 0);
    emit({ type: 'import-done', tables: tables.length, rows: totalRows, bytes: source.bytesRead(), seconds });
    return { tables, rewrites: result.rewrites, bytes: source.bytesRead(), seconds };
  } finally {
    if (timer) clearInterval(timer);
    await ledgerChain;
    await control.end().catch(() => control.destroy());
  }
}

function secondsOf(t: TableState): number {
  return ((t.finishedAt ?? Date.now()) - t.startedAt) / 1000;
}
