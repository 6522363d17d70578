/**
 * The migrate stage: runs a plan of steps against the scratch database, data steps in small
 * key-range batches, each batch one transaction that also advances the checkpoint, so a killed run
 * resumes after the last committed batch and never applies a batch twice.
 *
 * State lives in the scratch database itself (gh-ost keeps its checkpoint next to the data too):
 * - `_drydock_plan`: the plan as JSON, written once by the first run. A pack plans from the
 *   untouched database; a half-migrated one would plan differently, so re-runs replay this copy.
 * - `_drydock_checkpoint`: one row per step: status, last key reached, rows, batches, largest batch.
 * Dropping both tables (or --fresh on a new scratch server) starts over.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import { ConfigError, PipelineError, StageError } from '../errors.js';
import { DRYDOCK_VERSION } from '../version.js';
import { connect, isConnectionLost, namedLockName, qid } from '../db/connection.js';
import type { ServerAddress } from '../db/url.js';
import { introspect } from '../db/introspect.js';
import type { SchemaSnapshot } from '../db/introspect.js';
import { progressSnapshot } from '../report/progress.js';
import type { AppliedMigration, Pack, PlanContext, PlanOptions } from '../../transforms/core/pack.js';
import type { BatchedStep, DdlStep, SqlStep, Step } from '../../transforms/core/step.js';
import { RANGE_PLACEHOLDER } from '../../transforms/core/step.js';
import { batchStatement, boundFromRow, countQuery, inlineParams, nextBoundQuery } from '../../transforms/core/range.js';
import type { KeyTuple } from '../../transforms/core/range.js';
import { mergeDdlSteps } from '../../transforms/core/ddl-merge.js';
import { stepsFromSql } from '../../transforms/core/sql-file.js';

/** Largest number of driving-table rows in one batch, unless --batch-rows says otherwise. */
export const DEFAULT_BATCH_ROWS = 5000;
/** Target duration of one batch transaction, seconds; the batch size adapts toward it. */
export const DEFAULT_BATCH_SECONDS = 0.5;
/** The adaptive batch size never goes below this (or below batchRows, when that is smaller). */
export const MIN_BATCH_ROWS = 100;
export const CHECKPOINT_TABLE = '_drydock_checkpoint';
export const PLAN_TABLE = '_drydock_plan';
/** A filtered driving table is counted exactly for the plan when InnoDB estimates at most this many rows. */
export const EXACT_COUNT_MAX_ROWS = 2_000_000;
const MAX_STEP_ID = 700;
const PLAN_FORMAT = 1;

export interface MigrateOptions {
  /** The scratch server and database to migrate. */
  address: ServerAddress;
  /** The steps to run, given directly (tests, scripts). Exactly one of steps, pack and sqlFile. */
  steps?: Step[];
  /** A transform pack, asked for its plan once, from the untouched database. */
  pack?: Pack;
  /** A raw SQL migration file (e.g. `manage.py sqlmigrate app 0042` output), turned into steps. */
  sqlFile?: string;
  /** Options that shape a pack's plan; part of the stored plan's identity (batchRows excepted). */
  planOptions: PlanOptions;
  /** Most driving-table rows per batch (default {@link DEFAULT_BATCH_ROWS}). May change between runs. */
  batchRows: number;
  /** Target seconds per batch (default {@link DEFAULT_BATCH_SECONDS}); 0 = always use batchRows. */
  batchSeconds: number;
  /** Run steps whose cost grows with table size in one statement (refused otherwise). */
  allowUnbatched: boolean;
  /** Checked between batches and steps; the batch in flight is completed (committed) first. */
  signal?: AbortSignal;
  /** Structured progress events, in order. Must not throw. */
  onEvent?: (e: MigrateEvent) => void;
}

/** What the plan expects of a step, before it runs. */
export interface StepEstimate {
  /** Rows of the driving (or altered) table the step walks; undefined when unknown. */
  rows: number | undefined;
  /** True when `rows` is an exact COUNT, false when it is InnoDB's estimate. */
  exact: boolean;
  /** Batches (transactions) expected: ceil(rows / batchRows), at least 1. */
  batches: number;
  /** Largest number of driving rows one transaction will touch; undefined for DDL (not a row-locking transaction). */
  largestTransaction: number | undefined;
}

export interface PlannedStep {
  /** 1-based position. */
  index: number;
  step: Step;
  estimate: StepEstimate;
}

export interface Plan {
  database: string;
  /** Where the steps came from: `steps`, `pack:<name>` or `sql:<file>`. */
  source: string;
  /** Identity of the inputs that produced the plan; a re-run with other inputs is refused. */
  fingerprint: string;
  batchRows: number;
  /** True when the plan was read from the database (a previous run stored it). */
  stored: boolean;
  steps: PlannedStep[];
}

export type StepStatus = 'done' | 'skipped' | 'failed' | 'not-run' | 'interrupted';

export interface StepResult {
  id: string;
  kind: Step['kind'];
  title: string;
  /**
   * `done`: completed in this run. `skipped`: already done by an earlier run (or its effect was
   * found present after a crash). `failed`: stopped this run. `interrupted`: the signal stopped it
   * between batches; a re-run resumes it. `not-run`: after a failure or interruption.
   */
  status: StepStatus;
  /** Rows the step's transactions touched (affectedRows), over all runs. */
  rows: number;
  /** Transactions committed (batches; statements for DDL), over all runs. */
  batches: number;
  /** Most rows one transaction touched. */
  largestTransaction: number;
  /** Seconds spent on the step in this run. */
  seconds: number;
}

export interface MigrateResult {
  database: string;
  status: 'done' | 'interrupted' | 'failed';
  /** True when an earlier run's stored plan was replayed. */
  resumed: boolean;
  steps: StepResult[];
  seconds: number;
  /** Why the run failed (status 'failed'): a StageError naming the step, batch and key range. */
  error?: PipelineError;
}

interface EventBase {
  stepId: string;
  /** 1-based step position. */
  index: number;
}
export type MigrateEvent =
  | { event: 'plan'; database: string; steps: number; stored: boolean; source: string; madeBy?: string }
  | (EventBase & { event: 'step-start'; kind: Step['kind']; title: string; estimatedRows: number | undefined; resumeAfter: KeyTuple | null })
  | (EventBase & { event: 'step-skipped'; reason: 'done' | 'applied' })
  | (EventBase & {
      event: 'batch';
      batch: number;
      /** Rows this transaction touched. */
      rows: number;
      /** Driving rows walked so far (all runs) and the estimate. */
      done: number;
      total: number | undefined;
      rowsPerSecond: number;
      etaSeconds: number | undefined;
      /** Batch size used (driving rows) and the next one (adapted to batchSeconds). */
      batchRows: number;
      nextBatchRows: number;
      seconds: number;
    })
  | (EventBase & { event: 'step-done'; rows: number; batches: number; largestTransaction: number; seconds: number })
  | (EventBase & { event: 'step-failed'; message: string })
  | (EventBase & { event: 'interrupted' });

type Row = Record<string, unknown>;

/**
 * Runs a statement with its parameters inlined by {@link inlineParams}: mysql2 would also replace a
 * `?` inside a string literal of a migration's own SQL.
 */
async function exec(conn: Connection, sql: string, params: readonly unknown[] = []): Promise<unknown> {
  const [r] = await conn.query(params.length ? inlineParams(sql, params, (v) => mysql.escape(v as Parameters<typeof mysql.escape>[0])) : sql);
  return r;
}

async function rowsOf(conn: Connection, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
  return (await exec(conn, sql, params)) as Row[];
}

function validateOptions(o: MigrateOptions): void {
  const given = [o.steps, o.pack, o.sqlFile].filter((x) => x !== undefined).length;
  if (given === 0) throw new ConfigError('nothing to migrate: give a pack, a SQL file or steps', { hint: 'use --pack patchwork or --sql path/to/migration.sql' });
  if (given > 1) throw new ConfigError('give only one of a pack, a SQL file or steps', { hint: 'run them one after the other' });
  if (!Number.isInteger(o.batchRows) || o.batchRows < 1 || o.batchRows > 10_000_000) {
    throw new ConfigError(`--batch-rows must be an integer from 1 to 10000000 (got ${o.batchRows})`, { hint: `the default is ${DEFAULT_BATCH_ROWS}` });
  }
  if (!Number.isFinite(o.batchSeconds) || o.batchSeconds < 0 || o.batchSeconds > 3600) {
    throw new ConfigError(`--batch-seconds must be from 0 to 3600 (got ${o.batchSeconds})`, { hint: `the default is ${DEFAULT_BATCH_SECONDS}; 0 keeps every batch at --batch-rows` });
  }
}

function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Identity of the plan's inputs, computed without planning (a pack cannot re-plan a migrated database). */
async function fingerprintOf(o: MigrateOptions): Promise<{ source: string; fingerprint: string }> {
  const { batchRows: _ignored, ...shaping } = o.planOptions;
  if (o.pack) return { source: `pack:${o.pack.name}`, fingerprint: sha256(JSON.stringify({ pack: o.pack.name, options: sortKeys(shaping) })) };
  if (o.sqlFile) return { source: `sql:${o.sqlFile}`, fingerprint: sha256(JSON.stringify({ sql: sha256(await readSqlFile(o.sqlFile)) })) };
  return { source: 'steps', fingerprint: sha256(JSON.stringify({ steps: o.steps })) };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

async function readSqlFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(`cannot read the SQL file ${file}: ${(err as Error).message}`, { hint: 'check the path given to --sql', cause: err });
  }
}

function isOwnTable(name: string): boolean {
  return name === CHECKPOINT_TABLE || name === PLAN_TABLE;
}

async function snapshotOf(conn: Connection, db: string): Promise<SchemaSnapshot> {
  const s = await introspect(conn, db);
  for (const t of [...s.tables.keys()]) if (isOwnTable(t)) s.tables.delete(t);
  return s;
}

/**
 * What a pack plans from (and is recognised, checked and counted with): the schema without
 * drydock's own tables, django_migrations, and a query function that refuses anything but reads.
 */
export async function planContext(conn: Connection, db: string, options: PlanOptions): Promise<PlanContext> {
  const schema = await snapshotOf(conn, db);
  let applied: AppliedMigration[] = [];
  if (schema.tables.has('django_migrations')) {
    applied = (await rowsOf(conn, `SELECT app, name FROM ${qid(db)}.django_migrations ORDER BY id`)).map((r) => ({ app: String(r['app']), name: String(r['name']) }));
  }
  return {
    schema,
    applied,
    options,
    async query(sql, params = []) {
      // Planning must not change what it plans from.
      if (!/^\s*(SELECT|SHOW|WITH|EXPLAIN|DESCRIBE)\b/i.test(sql)) {
        throw new ConfigError(`a pack's planning query must be read-only (got: ${sql.slice(0, 80)})`, { hint: 'this is a bug in the pack' });
      }
      return rowsOf(conn, sql, params);
    },
  };
}

function checkSteps(steps: Step[]): void {
  const seen = new Set<string>();
  for (const s of steps) {
    if (!s.id || s.id.length > MAX_STEP_ID) throw new ConfigError(`step id '${s.id.slice(0, 80)}' must be 1 to ${MAX_STEP_ID} characters`, { hint: 'this is a bug in the pack' });
    if (seen.has(s.id)) throw new ConfigError(`two steps have the id '${s.id}'`, { hint: 'step ids key the checkpoints: make them unique' });
    seen.add(s.id);
    if (s.kind === 'batched') {
      const n = s.sql.split(RANGE_PLACEHOLDER).length - 1;
      if (n !== 1) throw new ConfigError(`step ${s.id}: its SQL must contain ${RANGE_PLACEHOLDER} exactly once (found ${n})`, { hint: 'this is a bug in the pack' });
      if (s.driving.key.length === 0) throw new ConfigError(`step ${s.id}: the driving table ${s.driving.table} has no key columns`, { hint: 'this is a bug in the pack' });
    }
  }
}

async function buildSteps(o: MigrateOptions, conn: Connection, db: string): Promise<Step[]> {
  let steps: Step[];
  if (o.steps) steps = o.steps;
  else if (o.pack) steps = await o.pack.plan(await planContext(conn, db, o.planOptions));
  else {
    const file = o.sqlFile!;
    const text = await readSqlFile(file);
    steps = await stepsFromSql(text, { file, schema: await snapshotOf(conn, db) });
  }
  steps = mergeDdlSteps(steps);
  checkSteps(steps);
  return steps;
}

async function tableExists(conn: Connection, db: string, table: string): Promise<boolean> {
  const r = await rowsOf(conn, 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table]);
  return r.length > 0;
}

interface StoredPlan {
  format: number;
  source: string;
  fingerprint: string;
  steps: Step[];
  /** The drydock version that made the plan (absent in plans of drydock 0.1.0 before it was recorded). */
  drydock?: string;
}

async function readStoredPlan(conn: Connection, db: string): Promise<StoredPlan | undefined> {
  if (!(await tableExists(conn, db, PLAN_TABLE))) return undefined;
  const r = await rowsOf(conn, `SELECT plan FROM ${qid(db)}.${qid(PLAN_TABLE)} WHERE id = 1`);
  if (!r[0]) return undefined;
  return JSON.parse(String(r[0]['plan'])) as StoredPlan;
}

/** True when every step of the stored plan is checkpointed done. */
async function isFinished(conn: Connection, db: string, stored: StoredPlan): Promise<boolean> {
  if (!(await tableExists(conn, db, CHECKPOINT_TABLE))) return stored.steps.length === 0;
  const done = await readCheckpoints(conn, db);
  return stored.steps.every((s) => done.get(s.id)?.status === 'done');
}

function checkStoredPlan(stored: StoredPlan, want: { source: string; fingerprint: string }, db: string): void {
  if (stored.format !== PLAN_FORMAT) {
    throw new ConfigError(`database ${db} holds a drydock plan in format ${stored.format}; this drydock writes format ${PLAN_FORMAT}`, {
      hint: `finish it with the drydock that started it, or start over: --fresh, or DROP TABLE ${PLAN_TABLE}, ${CHECKPOINT_TABLE} on a fresh import`,
    });
  }
  if (stored.fingerprint !== want.fingerprint) {
    throw new ConfigError(
      `database ${db} holds the plan of an earlier run (${stored.source}) made with different inputs than this one (${want.source}); ` +
        'mixing them would apply a migration partly one way and partly the other',
      { hint: `re-run with the same pack/SQL file and plan options to resume, or start over from the dump: --fresh (or DROP TABLE ${PLAN_TABLE}, ${CHECKPOINT_TABLE} after re-importing)` },
    );
  }
}

async function tableRows(conn: Connection, db: string, table: string): Promise<number | undefined> {
  const r = await rowsOf(conn, 'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table]);
  return r[0] ? Number(r[0]['n'] ?? 0) : undefined;
}

/** Estimates one step: InnoDB's row estimate, or an exact COUNT for a filtered driving table when that is cheap. */
async function estimateStep(conn: Connection, db: string, step: Step, batchRows: number): Promise<StepEstimate> {
  if (step.kind === 'ddl') return { rows: await tableRows(conn, db, step.table), exact: false, batches: step.statements.length, largestTransaction: undefined };
  if (step.kind === 'sql') {
    const rows = step.unbatched ? await tableRows(conn, db, step.unbatched.table) : undefined;
    return { rows, exact: false, batches: 1, largestTransaction: rows };
  }
  let rows = await tableRows(conn, db, step.driving.table);
  let exact = false;
  if (rows !== undefined && step.driving.where && rows <= EXACT_COUNT_MAX_ROWS) {
    try {
      const q = countQuery(step.driving);
      rows = Number((await rowsOf(conn, q.sql, q.params))[0]?.['n'] ?? 0);
      exact = true;
    } catch {
      // The filter may name something a preceding step creates: keep the table's estimate.
    }
  }
  const r = rows ?? 0;
  return { rows, exact, batches: Math.max(1, Math.ceil(r / batchRows)), largestTransaction: Math.min(r, batchRows) };
}

async function estimateAll(conn: Connection, db: string, steps: Step[], batchRows: number): Promise<PlannedStep[]> {
  const out: PlannedStep[] = [];
  for (const [i, step] of steps.entries()) out.push({ index: i + 1, step, estimate: await estimateStep(conn, db, step, batchRows) });
  return out;
}

/**
 * The plan, without changing anything: the stored plan when an earlier run left one (checked
 * against these options), otherwise a fresh one. Each step comes with row and batch estimates.
 * Throws ConfigError for bad options or a stored plan made with other inputs.
 */
export async function planMigration(o: MigrateOptions): Promise<Plan> {
  validateOptions(o);
  const db = o.address.database;
  const want = await fingerprintOf(o);
  const conn = await connectOrExplain(o.address);
  try {
    let stored = await readStoredPlan(conn, db);
    if (stored && stored.fingerprint !== want.fingerprint && (await isFinished(conn, db, stored))) stored = undefined;
    if (stored) checkStoredPlan(stored, want, db);
    const steps = stored ? stored.steps : await buildSteps(o, conn, db);
    return { database: db, source: want.source, fingerprint: want.fingerprint, batchRows: o.batchRows, stored: !!stored, steps: await estimateAll(conn, db, steps, o.batchRows) };
  } finally {
    await conn.end();
  }
}

async function connectOrExplain(address: ServerAddress): Promise<Connection> {
  try {
    return await connect(address);
  } catch (err) {
    throw new StageError('migrate', `cannot connect to database ${address.database}: ${(err as Error).message}`, {
      hint: 'check that the scratch server runs (drydock engine) and the database exists (drydock import)',
      cause: err,
    });
  }
}

/** The runner's lock on a database. */
function lockName(db: string): string {
  return namedLockName('drydock', db);
}

interface Checkpoint {
  status: 'running' | 'done';
  lastKey: KeyTuple | null;
  rows: number;
  driven: number;
  batches: number;
  largest: number;
  seconds: number;
}

/** Key values survive JSON: numbers and strings as they are, binary keys as base64. */
function encodeKey(k: KeyTuple | null): string | null {
  if (k === null) return null;
  return JSON.stringify(k.map((v) => (Buffer.isBuffer(v) ? { $b64: v.toString('base64') } : v)));
}

function decodeKey(s: unknown): KeyTuple | null {
  if (s === null || s === undefined) return null;
  const arr = JSON.parse(String(s)) as unknown[];
  return arr.map((v) => (v && typeof v === 'object' && '$b64' in v ? Buffer.from(String((v as { $b64: string }).$b64), 'base64') : v));
}

function formatKey(k: KeyTuple | null, side: 'lo' | 'hi'): string {
  if (k === null) return side === 'lo' ? '-∞' : '+∞';
  const vals = k.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : JSON.stringify(v)));
  return vals.length === 1 ? vals[0]! : `(${vals.join(', ')})`;
}

async function ensureStateTables(conn: Connection, db: string): Promise<void> {
  // InnoDB explicitly: the checkpoint must commit in the same transaction as the batch it records.
  await conn.query(`CREATE TABLE IF NOT EXISTS ${qid(db)}.${qid(PLAN_TABLE)} (
    id TINYINT NOT NULL PRIMARY KEY,
    fingerprint CHAR(64) NOT NULL,
    source TEXT NOT NULL,
    plan LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await conn.query(`CREATE TABLE IF NOT EXISTS ${qid(db)}.${qid(CHECKPOINT_TABLE)} (
    step_id VARCHAR(${MAX_STEP_ID}) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL,
    last_key LONGTEXT NULL,
    rows_done BIGINT NOT NULL DEFAULT 0,
    driven_rows BIGINT NOT NULL DEFAULT 0,
    batches BIGINT NOT NULL DEFAULT 0,
    largest_batch_rows BIGINT NOT NULL DEFAULT 0,
    seconds DOUBLE NOT NULL DEFAULT 0,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
}

async function readCheckpoints(conn: Connection, db: string): Promise<Map<string, Checkpoint>> {
  const out = new Map<string, Checkpoint>();
  for (const r of await rowsOf(conn, `SELECT * FROM ${qid(db)}.${qid(CHECKPOINT_TABLE)}`)) {
    out.set(String(r['step_id']), {
      status: r['status'] === 'done' ? 'done' : 'running',
      lastKey: decodeKey(r['last_key']),
      rows: Number(r['rows_done']),
      driven: Number(r['driven_rows']),
      batches: Number(r['batches']),
      largest: Number(r['largest_batch_rows']),
      seconds: Number(r['seconds']),
    });
  }
  return out;
}

async function writeCheckpoint(conn: Connection, db: string, id: string, c: Checkpoint): Promise<void> {
  await conn.query(
    `INSERT INTO ${qid(db)}.${qid(CHECKPOINT_TABLE)} (step_id, status, last_key, rows_done, driven_rows, batches, largest_batch_rows, seconds)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE status = VALUES(status), last_key = VALUES(last_key), rows_done = VALUES(rows_done), driven_rows = VALUES(driven_rows),
       batches = VALUES(batches), largest_batch_rows = VALUES(largest_batch_rows), seconds = VALUES(seconds)`,
    [id, c.status, encodeKey(c.lastKey), c.rows, c.driven, c.batches, c.largest, c.seconds],
  );
}

function affected(r: unknown): number {
  // A statement list returns one header per statement.
  if (Array.isArray(r)) return r.reduce((n: number, x) => n + affected(x), 0);
  return Number((r as ResultSetHeader | undefined)?.affectedRows ?? 0);
}

async function rollbackQuietly(conn: Connection): Promise<void> {
  try {
    await conn.query('ROLLBACK');
  } catch {
    /* the connection is gone: the server rolls the transaction back itself */
  }
}

class Interrupted extends Error {}

/**
 * Stops the statement a connection is running (KILL QUERY, from a connection of its own); the
 * transaction in flight is rolled back by the runner and the checkpoints say where to resume.
 * Best effort: if it fails, the statement finishes and the runner stops after it.
 */
async function killQuery(a: MigrateOptions['address'], threadId: number | null): Promise<void> {
  if (threadId === null) return;
  try {
    const c = await connect(a, null);
    try {
      await c.query(`KILL QUERY ${Number(threadId)}`);
    } finally {
      await c.end().catch(() => c.destroy());
    }
  } catch {
    /* the runner stops after the statement instead */
  }
}

/**
 * Runs the plan: stores it on the first run, replays the stored one on re-runs (refusing other
 * inputs), skips what the checkpoints say is done, resumes a data step after its last committed
 * batch. One runner per database (a session lock).
 *
 * Throws (before changing anything) a ConfigError for bad options, a mismatched stored plan or
 * unbatched steps without allowUnbatched, and a StageError when another runner holds the database.
 * A failure while running is returned: status 'failed', `error` a StageError naming step, batch
 * and key range, the per-step results saying what was done.
 */
export async function runMigration(o: MigrateOptions): Promise<MigrateResult> {
  validateOptions(o);
  const db = o.address.database;
  const emit = (e: MigrateEvent) => o.onEvent?.(e);
  const t0 = performance.now();
  const want = await fingerprintOf(o);
  const conn = await connectOrExplain(o.address);
  let locked = false;
  // An abort stops the statement running now, not only the next one: a DDL or a slow batch would
  // otherwise go on in the server after drydock stopped (and hold its locks into the re-run).
  const onAbort = () => void killQuery(o.address, conn.threadId);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // One runner per database. The lock belongs to this session: if drydock dies (even by SIGKILL)
    // or the connection drops, the server releases it, so a crash never leaves a stale lock behind
    // (unlike a lock row in a table). Timeout 0: refuse at once rather than queue behind another run.
    const got = (await rowsOf(conn, 'SELECT GET_LOCK(?, 0) AS got', [lockName(db)]))[0]?.['got'];
    if (Number(got) !== 1) {
      const holder = (await rowsOf(conn, 'SELECT IS_USED_LOCK(?) AS id', [lockName(db)]))[0]?.['id'];
      throw new StageError('migrate', `another drydock migrate is running on database ${db} (it holds the lock '${lockName(db)}'${holder ? `, connection ${String(holder)}` : ''})`, {
        hint: `wait for it to finish, or stop it (KILL ${holder ? String(holder) : '<its connection id>'}); a killed runner loses the lock at once and a re-run resumes`,
      });
    }
    locked = true;

    let stored = await readStoredPlan(conn, db);
    if (stored && stored.fingerprint !== want.fingerprint && (await isFinished(conn, db, stored))) {
      // A finished plan has nothing left to resume: retire it so the next migration can plan afresh.
      await conn.query(`DROP TABLE IF EXISTS ${qid(db)}.${qid(PLAN_TABLE)}, ${qid(db)}.${qid(CHECKPOINT_TABLE)}`);
      stored = undefined;
    }
    if (stored) checkStoredPlan(stored, want, db);
    const steps = stored ? stored.steps : await buildSteps(o, conn, db);
    const unbatched = steps.filter((s): s is SqlStep & { unbatched: NonNullable<SqlStep['unbatched']> } => s.kind === 'sql' && !!s.unbatched);
    if (unbatched.length && !o.allowUnbatched) {
      throw new ConfigError(
        `the plan has ${unbatched.length} step(s) that cannot run in batches: ` +
          unbatched.map((s) => `${s.id} on ${s.unbatched.table} (${s.unbatched.reason})`).join('; '),
        { hint: 'each would be one transaction over the whole table (lock exhaustion, replication lag); rewrite them as batched steps, or accept that with --allow-unbatched' },
      );
    }
    await ensureStateTables(conn, db);
    const resumed = !!stored;
    if (!stored) {
      stored = { format: PLAN_FORMAT, source: want.source, fingerprint: want.fingerprint, steps, drydock: DRYDOCK_VERSION };
      // INSERT (not REPLACE): a plan written by a concurrent first run would make this fail loudly.
      await conn.query(`INSERT INTO ${qid(db)}.${qid(PLAN_TABLE)} (id, fingerprint, source, plan) VALUES (1, ?, ?, ?)`, [
        want.fingerprint,
        want.source,
        JSON.stringify(stored),
      ]);
    }
    // A plan is replayed as it was stored, even by a newer drydock whose pack would plan otherwise:
    // finishing a migration the way it started is what keeps it consistent. Say so.
    const madeBy = resumed && stored.drydock !== DRYDOCK_VERSION ? (stored.drydock ?? 'an earlier version') : undefined;
    emit({ event: 'plan', database: db, steps: steps.length, stored: resumed, source: want.source, ...(madeBy ? { madeBy } : {}) });

    const checkpoints = await readCheckpoints(conn, db);
    const results: StepResult[] = steps.map((s) => {
      const c = checkpoints.get(s.id);
      return { id: s.id, kind: s.kind, title: s.title, status: 'not-run', rows: c?.rows ?? 0, batches: c?.batches ?? 0, largestTransaction: c?.largest ?? 0, seconds: 0 };
    });
    const runner = new StepRunner(conn, db, o, emit);
    let status: MigrateResult['status'] = 'done';
    let error: PipelineError | undefined;
    for (const [i, step] of steps.entries()) {
      const r = results[i]!;
      const cp = checkpoints.get(step.id);
      if (cp?.status === 'done') {
        r.status = 'skipped';
        emit({ event: 'step-skipped', stepId: step.id, index: i + 1, reason: 'done' });
        continue;
      }
      if (o.signal?.aborted) {
        status = 'interrupted';
        emit({ event: 'interrupted', stepId: step.id, index: i + 1 });
        break;
      }
      const started = performance.now();
      try {
        const outcome = await runner.run(step, i + 1, cp, r);
        r.status = outcome;
      } catch (err) {
        r.seconds = (performance.now() - started) / 1000;
        if (err instanceof Interrupted) {
          r.status = 'interrupted';
          status = 'interrupted';
          emit({ event: 'interrupted', stepId: step.id, index: i + 1 });
          break;
        }
        r.status = 'failed';
        status = 'failed';
        error = err instanceof PipelineError ? err : new StageError('migrate', `step ${step.id} failed: ${(err as Error).message}`, { cause: err });
        emit({ event: 'step-failed', stepId: step.id, index: i + 1, message: error.message });
        break;
      }
      r.seconds = (performance.now() - started) / 1000;
    }
    const result: MigrateResult = { database: db, status, resumed, steps: results, seconds: (performance.now() - t0) / 1000 };
    if (error) result.error = error;
    return result;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (locked) {
      try {
        await conn.query('SELECT RELEASE_LOCK(?)', [lockName(db)]);
      } catch {
        /* gone with the session anyway */
      }
    }
    try {
      await conn.end();
    } catch {
      conn.destroy();
    }
  }
}

/**
 * The next batch size: scaled toward `batchSeconds` by the last batch's duration, at most doubled
 * or halved per batch (one slow batch — a page flush, a cold cache — must not collapse the size),
 * kept between `floor` and `batchRows`. `batchSeconds` 0 keeps the size.
 */
export function nextBatchSize(size: number, seconds: number, o: { batchRows: number; batchSeconds: number; floor: number }): number {
  if (o.batchSeconds <= 0) return Math.min(size, o.batchRows);
  const factor = seconds > 0 ? Math.min(2, Math.max(0.5, o.batchSeconds / seconds)) : 2;
  return Math.max(Math.min(o.floor, o.batchRows), Math.min(o.batchRows, Math.round(size * factor)));
}

/** Runs one step at a time on the runner's connection; owns batching, adaptation and checkpoint writes. */
class StepRunner {
  constructor(
    private readonly conn: Connection,
    private readonly db: string,
    private readonly o: MigrateOptions,
    private readonly emit: (e: MigrateEvent) => void,
  ) {}

  async run(step: Step, index: number, cp: Checkpoint | undefined, r: StepResult): Promise<StepStatus> {
    if (step.kind === 'ddl') return this.ddl(step, index, cp, r);
    if (step.kind === 'sql') return this.sql(step, index, r);
    return this.batched(step, index, cp, r);
  }

  private fail(step: Step, what: string, err: unknown, hint: string): StageError | Interrupted {
    // The statement was stopped by KILL QUERY on abort (or failed while stopping): an interruption.
    if (this.o.signal?.aborted) return new Interrupted();
    const where = `step ${step.id}${step.migration ? ` (migration ${step.migration})` : ''}`;
    if (isConnectionLost(err)) {
      return new StageError('migrate', `the server went away during ${where}, ${what}: ${(err as Error).message}`, {
        hint: 'check that the scratch server is still running (its error log says why it stopped); the transaction in flight was rolled back. Re-run: drydock resumes after the last committed batch',
        cause: err,
      });
    }
    return new StageError('migrate', `${where} failed, ${what}: ${(err as Error).message}`, { hint, cause: err });
  }

  private async ddl(step: DdlStep, index: number, cp: Checkpoint | undefined, r: StepResult): Promise<StepStatus> {
    const c: Checkpoint = cp ?? { status: 'running', lastKey: null, rows: 0, driven: 0, batches: 0, largest: 0, seconds: 0 };
    // A checkpoint row in state 'running' means an earlier run started this DDL and did not record
    // its end: it may have completed just before the crash. DDL commits on its own, so ask.
    if (cp && step.appliedWhen) {
      let applied = false;
      try {
        applied = (await rowsOf(this.conn, step.appliedWhen)).length > 0;
      } catch (err) {
        throw this.fail(step, 'asking whether an interrupted DDL had completed (appliedWhen)', err, 'fix the step\'s appliedWhen query');
      }
      if (applied) {
        await writeCheckpoint(this.conn, this.db, step.id, { ...c, status: 'done', batches: step.statements.length });
        r.batches = step.statements.length;
        this.emit({ event: 'step-skipped', stepId: step.id, index, reason: 'applied' });
        return 'skipped';
      }
    }
    this.emit({ event: 'step-start', stepId: step.id, index, kind: 'ddl', title: step.title, estimatedRows: undefined, resumeAfter: null });
    const started = performance.now();
    await writeCheckpoint(this.conn, this.db, step.id, { ...c, status: 'running' });
    if (step.statements.length === 0) await writeCheckpoint(this.conn, this.db, step.id, { ...c, status: 'done' });
    for (let i = c.batches; i < step.statements.length; i++) {
      try {
        // With foreign_key_checks on, MariaDB adds a foreign key by copying the whole table in one
        // transaction (ALGORITHM=COPY): on a big table that alone exhausts the lock table (1206) on
        // a small buffer pool. Off, it is an in-place metadata change with the same result; the
        // references are then checked by the pack's orphan invariants after the run.
        await this.conn.query('SET SESSION foreign_key_checks = 0');
        try {
          await this.conn.query(step.statements[i]!);
        } finally {
          await this.conn.query('SET SESSION foreign_key_checks = 1').catch(() => {});
        }
      } catch (err) {
        throw this.fail(step, `statement ${i + 1} of ${step.statements.length} on table ${step.table} (${step.statements[i]!.slice(0, 200)})`, err,
          i > 0 || cp ? 'an earlier attempt may have applied part of this step; check the table, fix, and re-run: drydock resumes at this statement' : 'fix the statement or the schema it expects, and re-run: completed steps are not repeated');
      }
      c.batches = i + 1;
      await writeCheckpoint(this.conn, this.db, step.id, { ...c, status: i + 1 === step.statements.length ? 'done' : 'running' });
    }
    const seconds = (performance.now() - started) / 1000;
    r.batches = c.batches;
    this.emit({ event: 'step-done', stepId: step.id, index, rows: 0, batches: c.batches, largestTransaction: 0, seconds });
    return 'done';
  }

  private async sql(step: SqlStep, index: number, r: StepResult): Promise<StepStatus> {
    this.emit({ event: 'step-start', stepId: step.id, index, kind: 'sql', title: step.title, estimatedRows: undefined, resumeAfter: null });
    const started = performance.now();
    let rows = 0;
    try {
      await this.conn.query('START TRANSACTION');
      for (const [i, s] of step.statements.entries()) {
        rows += affected(await exec(this.conn, s, step.params?.[i] ?? []));
      }
      const seconds = (performance.now() - started) / 1000;
      await writeCheckpoint(this.conn, this.db, step.id, { status: 'done', lastKey: null, rows, driven: 0, batches: 1, largest: rows, seconds });
      await this.conn.query('COMMIT');
    } catch (err) {
      await rollbackQuietly(this.conn);
      throw this.fail(step, step.unbatched ? `in its one unbatched transaction over ${step.unbatched.table}` : 'in its transaction', err,
        'fix and re-run: the step was rolled back and runs again; completed steps are not repeated');
    }
    const seconds = (performance.now() - started) / 1000;
    Object.assign(r, { rows, batches: 1, largestTransaction: rows });
    this.emit({ event: 'step-done', stepId: step.id, index, rows, batches: 1, largestTransaction: rows, seconds });
    return 'done';
  }

  private async batched(step: BatchedStep, index: number, cp: Checkpoint | undefined, r: StepResult): Promise<StepStatus> {
    const { conn, db, o } = this;
    const c: Checkpoint = cp ?? { status: 'running', lastKey: null, rows: 0, driven: 0, batches: 0, largest: 0, seconds: 0 };
    const estimate = await estimateStep(conn, db, step, o.batchRows);
    const total = estimate.rows;
    this.emit({ event: 'step-start', stepId: step.id, index, kind: 'batched', title: step.title, estimatedRows: total, resumeAfter: c.lastKey });
    const floor = Math.min(MIN_BATCH_ROWS, o.batchRows);
    let size = o.batchRows;
    const started = performance.now();
    const drivenBefore = c.driven;
    for (;;) {
      if (o.signal?.aborted) throw new Interrupted();
      const batchNo = c.batches + 1;
      const t = performance.now();
      let upTo: KeyTuple | null = null;
      let rows = 0;
      try {
        const bound = nextBoundQuery(step.driving, c.lastKey, size);
        upTo = boundFromRow(step.driving, (await rowsOf(conn, bound.sql, bound.params))[0]);
        const stmt = batchStatement(step, { after: c.lastKey, upTo });
        await conn.query('START TRANSACTION');
        rows = affected(await exec(conn, stmt.sql, stmt.params));
        const next: Checkpoint = {
          status: upTo === null ? 'done' : 'running',
          lastKey: upTo ?? c.lastKey,
          rows: c.rows + rows,
          // A bounded chunk holds exactly `size` matching driving rows; the final one is what is left.
          driven: upTo === null ? Math.max(c.driven, total ?? 0) : c.driven + size,
          batches: batchNo,
          largest: Math.max(c.largest, rows),
          seconds: c.seconds + (performance.now() - t) / 1000,
        };
        // Same transaction as the batch: both commit or neither does, so no batch is applied twice.
        await writeCheckpoint(conn, db, step.id, next);
        await conn.query('COMMIT');
        Object.assign(c, next);
      } catch (err) {
        await rollbackQuietly(conn);
        throw this.fail(step, `batch ${batchNo} on driving table ${step.driving.table}, key range (${formatKey(c.lastKey, 'lo')}, ${formatKey(upTo, 'hi')}]`, err,
          'fix and re-run: drydock resumes after the last committed batch (this one was rolled back)');
      }
      const seconds = (performance.now() - t) / 1000;
      const used = size;
      size = nextBatchSize(size, seconds, { batchRows: o.batchRows, batchSeconds: o.batchSeconds, floor });
      const snap = progressSnapshot({
        done: c.driven - drivenBefore,
        ...(total === undefined ? {} : { total: Math.max(0, total - drivenBefore) }),
        startedAt: started,
        now: performance.now(),
      });
      Object.assign(r, { rows: c.rows, batches: c.batches, largestTransaction: c.largest });
      this.emit({
        event: 'batch',
        stepId: step.id,
        index,
        batch: c.batches,
        rows,
        done: c.driven,
        total: total === undefined ? undefined : Math.max(total, c.driven),
        rowsPerSecond: snap.rate,
        etaSeconds: snap.etaSeconds,
        batchRows: used,
        nextBatchRows: size,
        seconds,
      });
      if (upTo === null) break;
    }
    this.emit({ event: 'step-done', stepId: step.id, index, rows: c.rows, batches: c.batches, largestTransaction: c.largest, seconds: (performance.now() - started) / 1000 });
    return 'done';
  }
}
