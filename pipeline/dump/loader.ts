/**
 * The parallel loader behind `drydock import`: takes the splitter's statements in dump order and
 * runs them over several connections so that the result equals `mysql db < dump.sql`.
 *
 * Ordering contract (what makes parallel loading equal to the client's serial load):
 * - Session statements (`SET NAMES`, `SET TIME_ZONE`, `SET SQL_MODE`, `SET character_set_client`,
 *   user variables) go into one append-only log. Every connection replays the log, in order, up to
 *   the position a statement had in the dump before running that statement, so each INSERT or DDL
 *   is interpreted under exactly the session state the client would have had.
 * - CREATE/DROP TABLE and views run at once on the DDL connection, in dump order; a table's INSERTs
 *   are queued only after its CREATE finished. INSERTs of one table are independent, so they are
 *   spread over the workers (least-loaded first) and committed in large transactions.
 * - A table's deferred secondary keys are added (one ALTER) once every INSERT of the table has
 *   been committed and the dump has moved on to another table; then the table is reported done.
 * - Foreign keys come back after all tables have their keys; triggers, routines and events run
 *   last, each under the session state of its place in the dump. Triggers must wait for the rows:
 *   the client created them after the table's INSERTs, so they never fired during the load.
 * - LOCK/UNLOCK TABLES and ALTER TABLE ... DISABLE/ENABLE KEYS are dropped: the scratch server has
 *   no other clients, and LOCK TABLES would serialise the workers. COMMIT statements are dropped:
 *   the workers own their transactions.
 * - Anything else (unknown statements, other ALTERs) waits for all queued work and then runs in
 *   order, so it sees the same tables the client would have.
 *
 * Bytes are sent as they are: statements are decoded as latin1 (one char per byte) and the
 * connections use the `binary` character set, for which mysql2 encodes strings one byte per char.
 * The server therefore receives the dump's exact bytes and interprets them under the dump's own
 * `SET NAMES`, as with the client — raw binary data in strings survives, which UTF-8 decoding
 * would corrupt.
 */
import type { Connection, ConnectionOptions, ResultSetHeader } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connectionOptions, isConnectionLost, qid } from '../db/connection.js';
import type { ServerAddress } from '../db/url.js';
import { DumpError, StageError } from '../errors.js';
import type { Statement } from './splitter.js';
import { classifyStatement } from './statement-kind.js';

/** Tables drydock keeps for itself (import ledger, migration plan and checkpoints, purge snapshot). */
const INTERNAL_PREFIX = '_drydock';
import { addClausesSql, splitCreateTable, type DeferredClause } from './create-table.js';

/** Commit a worker's transaction once it has sent this many statement bytes. */
export const COMMIT_BYTES = 64 * 1024 * 1024;
/** Statements queued per worker before the reader waits (the memory bound, with QUEUE_BYTES). */
export const QUEUE_STATEMENTS = 4;
/** Statement bytes queued per worker before the reader waits. */
export const QUEUE_BYTES = 8 * 1024 * 1024;
/** Bytes of a statement quoted in error messages. */
export const EXCERPT_BYTES = 200;

/** A table as the loader tracks it. */
export interface TableState {
  name: string;
  /** Loaded by an earlier run with the same dump: its statements before `endOffset` are skipped. */
  skipped: boolean;
  /** Dump offset just past the table's last statement seen so far. */
  endOffset: number;
  rows: number;
  bytes: number;
  startedAt: number;
  /** When the table was reported done. */
  finishedAt: number | undefined;
  /** Dispatched INSERTs not yet committed. */
  pending: number;
  /** The dump moved on to other statements: once `pending` is 0, the table is complete. */
  closed: boolean;
  keys: DeferredClause[];
  foreignKeys: DeferredClause[];
  /** Character sets of the table's columns; undefined when not known (then never sent as binary). */
  charsets: string[] | undefined;
  /** Keys added (or none to add) and the completion reported. */
  finished: boolean;
  /** Where the CREATE was, for error messages about the deferred ALTER. */
  createAt: { offset: number; line: number } | undefined;
  /** Resolves when the table has no queued or running work. */
  idle: Array<() => void>;
}

/** What the loader needs from the import stage: the ledger and the event sink. */
export interface LoaderHooks {
  /** Previously completed tables (name → end offset and rows); they are skipped. */
  completed: ReadonlyMap<string, { endOffset: number; rows: number; bytes: number }>;
  /** A table is being (re)loaded from its CREATE: forget any earlier record of it. */
  tableStarted(t: TableState): Promise<void>;
  /** All rows committed and keys added: record it as done. */
  tableDone(t: TableState): Promise<void>;
  /** A completed table receives more rows later in the dump: it is no longer complete. */
  tableReopened(t: TableState): Promise<void>;
  onRows(rows: number): void;
  /** The table's deferred secondary keys were built (one ALTER), in `seconds`. */
  onKeys(t: TableState, keys: number, seconds: number): void;
  /** Distinct character sets of a table's columns (information_schema). */
  columnCharsets(table: string): Promise<string[]>;
  onTable(e: { type: 'table-skipped' | 'table-done'; table: TableState }): void;
  /** Something the dump held that was not run as written (e.g. a skipped USE). */
  onNote(note: string): void;
}

export interface LoaderOptions {
  address: ServerAddress;
  file: string;
  threads: number;
  signal?: AbortSignal;
  hooks: LoaderHooks;
  /**
   * Rewrites a DDL or SET statement (latin1 text) for the target server flavor; `sql: ''` skips
   * it. Never called for INSERTs. May throw (e.g. FlavorError); the loader adds the location.
   */
  rewrite?: (sql: string) => { sql: string; rewrites: string[] };
}

interface Located {
  offset: number;
  line: number;
  sql: Buffer;
  /** Gives a pooled statement buffer back (see buffer-pool.ts); only once the server has run it. */
  release?: () => void;
}

type Task =
  | { kind: 'insert'; table: TableState; seq: number; stmt: Located }
  | { kind: 'keys'; table: TableState; seq: number; keys: DeferredClause[] };

/**
 * Options for every loader connection: bytes pass 1:1 (see the file comment). Session tracking is
 * off because mysql2 follows the server's reported character_set_client: after the dump's
 * `SET NAMES utf8mb4` it would start encoding our latin1 strings as UTF-8, doubling every byte
 * above 0x7f.
 */
function loaderConnectionOptions(a: ServerAddress): ConnectionOptions {
  return {
    ...connectionOptions(a),
    charset: 'BINARY',
    multipleStatements: false,
    flags: ['-SESSION_TRACK'],
    // mysql2 scans every query for `?` placeholders even without values: a third of our CPU on
    // megabyte INSERTs. Statements are sent exactly as the dump wrote them.
    queryFormat: (sql: string) => sql,
    // mysql2 captures a stack trace at every query so that an error can show its caller; the
    // loader names the statement's file, offset and line itself (statementError). Profiled at
    // 200,000 patches, the captures cost about 0.2 CPU-s of the importer's own 3–6.
    trace: false,
  };
}

/**
 * Lets mysql2 send a Buffer as a COM_QUERY as it is, without copying it. mysql2 only takes SQL
 * strings, so each INSERT would otherwise be decoded to a latin1 string and encoded back: a copy
 * into the JS heap, a copy out, and the garbage collection of gigabytes of strings. Even a single
 * copy into a packet buffer made garbage collection (driven by external memory) the importer's
 * largest CPU cost after the server's own work, so the packet holds only the 5- or 7-byte header
 * and the statement's bytes are written to the socket after it, as they came from the dump.
 * Only queries whose text is a Buffer take the new path (strings are untouched, so other
 * connections in the process are not affected). If mysql2's internals ever move, this returns
 * false and the loader falls back to latin1 strings, which send the same bytes.
 */
function installBufferQueries(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('mysql2'));
    const QueryPacket = require(join(root, 'lib/packets/query.js')) as { prototype: Record<string, unknown> };
    type PacketLike = { buffer: Buffer; offset: number; drydockBody?: Buffer };
    const Packet = require(join(root, 'lib/packets/packet.js')) as new (seq: number, b: Buffer, start: number, end: number) => PacketLike;
    const BaseConnection = require(join(root, 'lib/base/connection.js')) as { prototype: Record<string, unknown> };
    const proto = QueryPacket.prototype;
    const conn = BaseConnection.prototype;
    if (proto['drydockBufferQueries']) return true;
    const originalToPacket = proto['toPacket'];
    const originalWrite = conn['writePacket'];
    if (typeof originalToPacket !== 'function' || typeof originalWrite !== 'function' || typeof conn['write'] !== 'function' || typeof conn['_bumpSequenceId'] !== 'function') {
      return false;
    }
    const CLIENT_QUERY_ATTRIBUTES = 1 << 27;
    // The protocol's largest single packet payload; longer ones are split, which mysql2 does.
    const MAX_PACKET_LENGTH = 0xffffff;
    proto['toPacket'] = function (this: { query: unknown; clientFlags?: number }, ...args: unknown[]) {
      if (!Buffer.isBuffer(this.query)) return (originalToPacket as (...a: unknown[]) => unknown).apply(this, args);
      // The header mysql2 writes: 4 bytes for length and sequence (filled in when written), the
      // command, and with query attributes negotiated an empty attribute set.
      const header = (this.clientFlags ?? 0) & CLIENT_QUERY_ATTRIBUTES ? 7 : 5;
      const buf = Buffer.alloc(header);
      buf[4] = 0x03; // COM_QUERY
      if (header === 7) buf[6] = 1;
      const packet = new Packet(0, buf, 0, buf.length);
      packet.offset = buf.length;
      packet.drydockBody = this.query;
      return packet;
    };
    conn['writePacket'] = function (this: { sequenceId: number; write(b: Buffer): void; _bumpSequenceId(n: number): void }, packet: PacketLike) {
      const body = packet?.drydockBody;
      if (body === undefined) return (originalWrite as (p: unknown) => unknown).call(this, packet);
      const payload = packet.buffer.length - 4 + body.length;
      if (payload >= MAX_PACKET_LENGTH) {
        // Rare (statements over 16 MiB): one buffer, and mysql2 splits it into packets.
        const whole = Buffer.concat([packet.buffer, body]);
        const p = new Packet(0, whole, 0, whole.length);
        p.offset = whole.length;
        return (originalWrite as (p: unknown) => unknown).call(this, p);
      }
      packet.buffer.writeUIntLE(payload, 0, 3);
      packet.buffer[3] = this.sequenceId;
      this._bumpSequenceId(1);
      this.write(packet.buffer);
      this.write(body);
    };
    proto['drydockBufferQueries'] = true;
    return true;
  } catch {
    return false;
  }
}

const BUFFER_QUERIES = installBufferQueries();

function excerpt(sql: Buffer): string {
  return sql.subarray(0, EXCERPT_BYTES).toString('utf8');
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the import was interrupted');
  e.name = 'AbortError';
  return e;
}

/** Turns a failed statement into the error a user can act on. */
export function statementError(err: unknown, file: string, stmt: Located, table: string | undefined): Error {
  const loc = { file, offset: stmt.offset, line: stmt.line };
  const where = `${file} at byte ${stmt.offset}, line ${stmt.line}${table ? `, table ${table}` : ''}`;
  if (isConnectionLost(err)) {
    return new StageError('import', `lost the connection to the server while loading ${where}: the server stopped or was killed`, {
      hint: "check the server's error log; re-run the same command to resume (completed tables are kept)",
      cause: err,
    });
  }
  if (err instanceof DumpError || err instanceof StageError) return err;
  const msg = (err as Error).message ?? String(err);
  const opts: { hint: string; cause: unknown; excerpt: string; table?: string } = {
    hint: 'fix the statement in the dump (or re-create the dump), then re-run: completed tables are kept',
    cause: err,
    excerpt: excerpt(stmt.sql),
  };
  if (table !== undefined) opts.table = table;
  return new DumpError(`the server rejected a statement: ${msg}`, loc, opts);
}

/** One server connection that follows the session log. */
class Session {
  applied = 0;
  constructor(
    readonly conn: Connection,
    private readonly log: string[],
    /** Settings the loader needs whatever the dump says (run after each replay). */
    private readonly own: string | undefined,
  ) {}

  async syncTo(seq: number): Promise<void> {
    if (this.applied >= seq) return;
    while (this.applied < seq) {
      const sql = this.log[this.applied]!;
      this.applied++;
      await this.conn.query(sql);
    }
    if (this.own) await this.conn.query(this.own);
  }
}

async function openSession(a: ServerAddress, log: string[], own: string | undefined): Promise<Session> {
  const conn = await mysql.createConnection(loaderConnectionOptions(a));
  try {
    // Not permitted without SUPER/BINLOG ADMIN on some servers; the scratch server has no binlog anyway.
    await conn.query('SET SESSION sql_log_bin = 0');
  } catch {
    /* not permitted: harmless on a server without a binlog */
  }
  if (own) await conn.query(own);
  return new Session(conn, log, own);
}

/**
 * unique_checks stays on, whatever the dump says: with it off (and foreign_key_checks off), MariaDB
 * 10.7+ turns the first transaction into an empty table into a "bulk insert" that holds a table
 * lock until it commits, so a second worker loading the same table waits for the first's whole
 * transaction (measured at 200,000 patches: about a second of one core idle per big table). It
 * also keeps a duplicate in a UNIQUE key an error rather than a silently broken index.
 */
const WORKER_SETTINGS = 'SET unique_checks = 1, foreign_key_checks = 0, autocommit = 0';
const DDL_SETTINGS = 'SET foreign_key_checks = 0, autocommit = 1';

class Worker {
  readonly queue: Task[] = [];
  queuedBytes = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  private uncommittedBytes = 0;
  private uncommitted: TableState[] = [];
  /** The dump's client and connection character sets in this session as of the last replay. */
  private charsets: { client: string; connection: string; collation: string } | undefined;
  /** The session reads literals as binary (see prepare). */
  private binary = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: Session,
    private readonly loader: Loader,
  ) {}

  get conn(): Connection {
    return this.session.conn;
  }

  hasRoom(): boolean {
    return this.queue.length < QUEUE_STATEMENTS && this.queuedBytes < QUEUE_BYTES;
  }

  push(t: Task): void {
    this.queue.push(t);
    if (t.kind === 'insert') this.queuedBytes += t.stmt.sql.length;
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  start(): void {
    this.closed = false;
    this.done = this.run();
    this.done.catch((err: unknown) => this.loader.fail(err));
  }

  private async run(): Promise<void> {
    for (;;) {
      this.loader.throwIfFailed();
      const t = this.queue.shift();
      if (t === undefined) {
        // Idle: commit now, so that a table whose last INSERT this was can be completed.
        await this.commit();
        // Work may have arrived while committing, when there was no waiter to wake.
        if (this.queue.length > 0) continue;
        if (this.closed) return;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      if (t.kind === 'insert') {
        this.queuedBytes -= t.stmt.sql.length;
        this.loader.roomAvailable();
        await this.prepare(t.seq, t.table);
        let res: ResultSetHeader;
        try {
          // In an options object: mysql2 would read a bare Buffer as one.
          const sql = BUFFER_QUERIES ? (t.stmt.sql as unknown as string) : t.stmt.sql.toString('latin1');
          [res] = (await this.conn.query({ sql })) as [ResultSetHeader, unknown];
        } catch (err) {
          throw statementError(err, this.loader.file, t.stmt, t.table.name);
        }
        const bytes = t.stmt.sql.length;
        // The server has read and run it, so the socket no longer needs the bytes either.
        t.stmt.release?.();
        t.table.rows += res.affectedRows ?? 0;
        t.table.bytes += bytes;
        this.loader.hooks.onRows(res.affectedRows ?? 0);
        this.uncommitted.push(t.table);
        this.uncommittedBytes += bytes;
        if (this.uncommittedBytes >= COMMIT_BYTES) await this.commit();
      } else {
        await this.commit();
        await this.prepare(t.seq, undefined);
        await this.loader.addKeys(this.conn, t.table, t.keys);
      }
    }
  }

  /**
   * Brings the session to the dump's state at `seq`, then picks how the INSERT's text is read.
   *
   * The server lexes string literals in character_set_client and makes each one a string of the
   * connection's collation, counting its characters (a per-character walk over every multi-byte
   * literal); storing it then checks the bytes against the column's character set. Profiled at
   * 200,000 patches, lexing and counting utf8mb4 literals took about a third of the server's CPU.
   * When the client and connection character sets are the dump's and every column of the table
   * has that same character set, nothing is ever converted, so the literals are read as `binary`
   * instead (client and connection): the column's own check still runs on store, so the stored
   * bytes, warnings and errors are the same (checked for valid and invalid UTF-8, truncation,
   * numbers, dates and ENUMs, strict and not), and the server does a quarter less work. Any other
   * table keeps the dump's own settings.
   */
  private async prepare(seq: number, table: TableState | undefined): Promise<void> {
    if (this.session.applied < seq || this.charsets === undefined) {
      // The log is replayed under the dump's own settings (it saves and restores them).
      if (this.binary && this.charsets) {
        await this.conn.query(`SET character_set_client = ${this.charsets.client}, collation_connection = ${this.charsets.collation}`);
      }
      this.binary = false;
      await this.session.syncTo(seq);
      const [r] = (await this.conn.query(
        'SELECT @@character_set_client AS c, @@character_set_connection AS n, @@collation_connection AS k',
      )) as [Array<{ c: Buffer | string; n: Buffer | string; k: Buffer | string }>, unknown];
      this.charsets = { client: String(r[0]?.c ?? ''), connection: String(r[0]?.n ?? ''), collation: String(r[0]?.k ?? '') };
    }
    const { client, connection, collation } = this.charsets;
    const binary =
      table !== undefined &&
      client !== 'binary' &&
      client === connection &&
      /^\w+$/.test(client) &&
      /^\w+$/.test(collation) &&
      table.charsets !== undefined &&
      table.charsets.every((c) => c === client);
    if (binary !== this.binary) {
      await this.conn.query(
        binary ? 'SET character_set_client = binary, collation_connection = binary' : `SET character_set_client = ${client}, collation_connection = ${collation}`,
      );
      this.binary = binary;
    }
  }

  private async commit(): Promise<void> {
    if (this.uncommitted.length === 0) return;
    await this.conn.query('COMMIT');
    const tables = this.uncommitted;
    this.uncommitted = [];
    this.uncommittedBytes = 0;
    for (const t of tables) {
      t.pending--;
      this.loader.maybeComplete(t);
    }
  }
}

/** What {@link Loader.run} returns. */
export interface LoaderResult {
  tables: TableState[];
  rewrites: string[];
}

export class Loader {
  readonly file: string;
  readonly hooks: LoaderHooks;
  private readonly log: string[] = [];
  private readonly tables = new Map<string, TableState>();
  private readonly workers: Worker[] = [];
  private ddl!: Session;
  /** Triggers, routines, events: run at the end, each at its place in the session log. */
  private readonly deferred: Array<{ seq: number; sql: string; stmt: Located; table: string | undefined }> = [];
  private current: TableState | undefined;
  private failure: Error | undefined;
  private roomWaiter: (() => void) | undefined;
  private readonly rewrites: string[] = [];
  private database: string | undefined;
  /** The statement being routed went to a worker, which releases it. */
  private handedOver = false;
  /** Background work (deferred keys, ledger writes) whose failure must fail the run. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly opts: LoaderOptions) {
    this.file = opts.file;
    this.hooks = opts.hooks;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
    if (this.opts.signal?.aborted) throw abortError(this.opts.signal);
  }

  fail(err: unknown): void {
    if (!this.failure) this.failure = err instanceof Error ? err : new Error(String(err));
    this.roomWaiter?.();
    for (const w of this.workers) w.close();
  }

  roomAvailable(): void {
    const w = this.roomWaiter;
    this.roomWaiter = undefined;
    w?.();
  }

  async run(statements: AsyncIterable<Statement>): Promise<LoaderResult> {
    const { address, threads } = this.opts;
    const sessions: Session[] = [];
    const onAbort = () => this.fail(abortError(this.opts.signal!));
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.ddl = await openSession(address, this.log, DDL_SETTINGS);
      sessions.push(this.ddl);
      for (let i = 0; i < threads; i++) {
        const s = await openSession(address, this.log, WORKER_SETTINGS);
        sessions.push(s);
        const w = new Worker(s, this);
        this.workers.push(w);
        w.start();
      }
      try {
        for await (const stmt of statements) {
          this.throwIfFailed();
          this.handedOver = false;
          await this.route(stmt);
          // Whatever no worker took is done with: give its memory back (a big one holds a read chunk).
          if (!this.handedOver) stmt.release();
        }
      } catch (err) {
        throw this.withTable(err);
      }
      this.throwIfFailed();
      this.closeCurrent();
      // A worker's last COMMIT can complete a table and queue its key build on a worker that has
      // already stopped: run the workers again until no queue holds work.
      for (;;) {
        for (const w of this.workers) w.close();
        await Promise.all(this.workers.map((w) => w.done));
        this.throwIfFailed();
        const left = this.workers.filter((w) => w.queue.length > 0);
        if (left.length === 0) break;
        for (const w of left) w.start();
      }
      await this.settleBackground();
      this.throwIfFailed();
      await this.addForeignKeys();
      await this.runDeferred();
      return { tables: [...this.tables.values()], rewrites: this.rewrites };
    } catch (err) {
      this.fail(err);
      await Promise.allSettled(this.workers.map((w) => w.done));
      await Promise.allSettled([...this.background]);
      throw this.failure ?? err;
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
      await Promise.allSettled(sessions.map((s) => s.conn.end()));
      // A connection stuck in a long statement would keep the process alive.
      for (const s of sessions) s.conn.destroy();
    }
  }

  /** The splitter does not classify; name the table of the statement it choked on. */
  private withTable(err: unknown): unknown {
    if (!(err instanceof DumpError) || err.table !== undefined || err.excerpt === undefined) return err;
    const table = classifyStatement(Buffer.from(err.excerpt, 'utf8')).table;
    if (table === undefined) return err;
    const suffix = ` (${err.location.file} at byte ${err.location.offset}`;
    const cut = err.message.indexOf(suffix);
    const opts: { table: string; excerpt: string; cause: unknown; hint?: string } = { table, excerpt: err.excerpt, cause: err };
    if (err.hint !== undefined) opts.hint = err.hint;
    return new DumpError(cut >= 0 ? err.message.slice(0, cut) : err.message, err.location, opts);
  }

  private async settleBackground(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.fail(err)).finally(() => this.background.delete(q));
    this.background.add(q);
  }

  private async route(stmt: Statement): Promise<void> {
    const k = classifyStatement(stmt.sql);
    const end = stmt.offset + stmt.sql.length;
    // drydock's own bookkeeping tables (a dump of a database drydock once loaded can carry them) are
    // never loaded: their DROP/CREATE would replace this import's own ledger mid-run.
    if (k.table?.startsWith(INTERNAL_PREFIX) && k.kind !== 'set') return;
    switch (k.kind) {
      case 'comment-only':
        return;
      case 'set': {
        const sql = this.rewrite(stmt, undefined);
        if (sql) this.log.push(sql);
        return;
      }
      case 'lock':
      case 'unlock':
        if (k.kind === 'unlock') this.closeCurrent();
        return;
      case 'insert': {
        const t = this.tableFor(k.table, k.database, stmt);
        if (stmt.delimiter === '') {
          // mysqldump ends every statement with ';': an INSERT without one was cut short, possibly
          // right after a complete row, which the server would accept and silently lose the rest.
          throw new DumpError(
            'the dump ends inside an INSERT (no delimiter after it): the file is truncated',
            { file: this.file, offset: stmt.offset, line: stmt.line },
            { table: t.name, excerpt: excerpt(stmt.sql), hint: 're-create the dump, or check that the copy finished' },
          );
        }
        if (t.skipped && stmt.offset < t.endOffset) return;
        if (this.current !== t) {
          this.closeCurrent();
          this.current = t;
        }
        if (t.finished || t.skipped || t.closed) await this.reopen(t);
        t.endOffset = end;
        t.pending++;
        this.handedOver = true; // the worker releases it once the server has run it
        await this.dispatch({ kind: 'insert', table: t, seq: this.log.length, stmt });
        return;
      }
      case 'create-table': {
        this.closeCurrent();
        this.checkDatabase(k.database, stmt);
        const name = k.table;
        if (name === undefined) return this.runInOrder(stmt, undefined);
        await this.createTable(name, stmt, end);
        return;
      }
      case 'drop-table': {
        this.closeCurrent();
        const t = k.table === undefined ? undefined : this.tables.get(k.table);
        const done = k.table !== undefined && this.hooks.completed.has(k.table) && !this.tables.has(k.table);
        if (done || t?.skipped) return; // dropping a table completed by an earlier run would undo it
        if (t) await this.whenIdle(t);
        await this.execDdl(stmt, k.table);
        return;
      }
      case 'alter-table': {
        if (/^\s*(\/\*!\d*\s*)?ALTER\s+TABLE\s+\S+\s+(DISABLE|ENABLE)\s+KEYS\b/i.test(stmt.sql.subarray(0, 400).toString('latin1'))) return;
        this.closeCurrent();
        return this.runInOrder(stmt, k.table);
      }
      case 'create-view':
      case 'drop-view':
        this.closeCurrent();
        await this.execDdl(stmt, k.table);
        return;
      case 'create-trigger':
      case 'create-routine':
      case 'create-event': {
        this.closeCurrent();
        const sql = this.rewrite(stmt, k.table);
        if (!sql) return;
        const pre = k.kind === 'create-trigger' && k.name !== undefined ? `DROP TRIGGER IF EXISTS ${qid(k.name)}` : undefined;
        // Kept until the end for error messages: a copy of the excerpt, since the statement's memory
        // goes back to the pool once routed (see run), and a big one's is a view of a read chunk.
        const at: Located = { offset: stmt.offset, line: stmt.line, sql: Buffer.from(stmt.sql.subarray(0, EXCERPT_BYTES)) };
        if (pre) this.deferred.push({ seq: this.log.length, sql: pre, stmt: at, table: k.table });
        this.deferred.push({ seq: this.log.length, sql, stmt: at, table: k.table });
        return;
      }
      case 'use':
      case 'create-database':
        this.checkDatabase(k.database, stmt);
        return;
      case 'other': {
        const head = stmt.sql.subarray(0, 64).toString('latin1');
        if (/^\s*(COMMIT|START\s+TRANSACTION|BEGIN)\s*$/i.test(head)) return;
        this.closeCurrent();
        return this.runInOrder(stmt, undefined);
      }
    }
  }

  /** One dump, one database: the import goes into the scratch database, whatever the dump names. */
  private checkDatabase(db: string | undefined, stmt: Statement): void {
    if (db === undefined) return;
    if (this.database === undefined) {
      this.database = db;
      this.hooks.onNote(`the dump names database ${db}; it is loaded into the scratch database`);
      return;
    }
    if (this.database !== db) {
      throw new DumpError(
        `the dump holds more than one database (${this.database}, then ${db}); drydock imports one database`,
        { file: this.file, offset: stmt.offset, line: stmt.line },
        { hint: 'dump the one database to migrate (mysqldump db, without --databases/--all-databases)', excerpt: excerpt(stmt.sql) },
      );
    }
  }

  private tableFor(name: string | undefined, db: string | undefined, stmt: Statement): TableState {
    const t = name === undefined ? undefined : this.tables.get(name);
    if (t) return t;
    this.checkDatabase(db, stmt);
    const opts: { hint: string; excerpt: string; table?: string } = {
      hint: 'the dump is incomplete or out of order: re-create it with mysqldump (with its CREATE TABLE statements)',
      excerpt: excerpt(stmt.sql),
    };
    if (name !== undefined) opts.table = name;
    throw new DumpError(
      name === undefined ? 'an INSERT names no table drydock can read' : `INSERT into table ${name}, which the dump never creates`,
      { file: this.file, offset: stmt.offset, line: stmt.line },
      opts,
    );
  }

  /** The statement as latin1 text, rewritten for the target flavor; '' when it is to be skipped. */
  private rewrite(stmt: Statement, table: string | undefined): string {
    const sql = stmt.sql.toString('latin1');
    if (!this.opts.rewrite) return sql;
    let r: { sql: string; rewrites: string[] };
    try {
      r = this.opts.rewrite(sql);
    } catch (err) {
      const opts: { hint?: string; cause: unknown; excerpt: string; table?: string } = { cause: err, excerpt: excerpt(stmt.sql) };
      const hint = (err as { hint?: string }).hint;
      if (hint !== undefined) opts.hint = hint;
      if (table !== undefined) opts.table = table;
      throw new DumpError((err as Error).message, { file: this.file, offset: stmt.offset, line: stmt.line }, opts);
    }
    for (const x of r.rewrites) {
      const note = `${table ?? 'line ' + stmt.line}: ${x}`;
      if (!this.rewrites.includes(note)) this.rewrites.push(note);
    }
    return r.sql;
  }

  private async createTable(name: string, stmt: Statement, end: number): Promise<void> {
    const sql = this.rewrite(stmt, name);
    if (!sql) return;
    const split = splitCreateTable(sql);
    const prev = this.hooks.completed.get(name);
    const existing = this.tables.get(name);
    if (existing && !existing.skipped) {
      // Created again later in the dump (e.g. a view's stand-in): wait for its work, then proceed.
      await this.whenIdle(existing);
    }
    const t: TableState = {
      name,
      skipped: prev !== undefined,
      endOffset: prev?.endOffset ?? end,
      rows: prev?.rows ?? 0,
      bytes: prev?.bytes ?? 0,
      startedAt: Date.now(),
      finishedAt: undefined,
      pending: 0,
      closed: false,
      keys: split.keys,
      foreignKeys: split.foreignKeys,
      charsets: undefined,
      finished: prev !== undefined,
      createAt: { offset: stmt.offset, line: stmt.line },
      idle: [],
    };
    this.tables.set(name, t);
    if (t.skipped) {
      this.hooks.onTable({ type: 'table-skipped', table: t });
      return;
    }
    await this.hooks.tableStarted(t);
    await this.ddl.syncTo(this.log.length);
    try {
      // A partly loaded table from an interrupted run: start it again from nothing.
      await this.ddl.conn.query(`DROP TABLE IF EXISTS ${qid(name)}`);
      await this.ddl.conn.query(split.create);
    } catch (err) {
      throw statementError(err, this.file, stmt, name);
    }
    t.charsets = await this.hooks.columnCharsets(name);
    this.current = t;
  }

  private async reopen(t: TableState): Promise<void> {
    if (t.finished || t.skipped) {
      t.finished = false;
      t.skipped = false;
      await this.hooks.tableReopened(t);
    }
    t.closed = false;
  }

  private closeCurrent(): void {
    const t = this.current;
    this.current = undefined;
    if (!t || t.closed) return;
    t.closed = true;
    this.maybeComplete(t);
  }

  /** Called whenever a table's pending count drops or it is closed. */
  maybeComplete(t: TableState): void {
    if (!t.closed || t.pending > 0 || t.finished || t.skipped) {
      if (t.pending === 0) this.notifyIdle(t);
      return;
    }
    t.finished = true;
    // Taken now, so that a table reopened later never builds the same keys twice.
    const keys = t.keys;
    t.keys = [];
    if (keys.length === 0) {
      this.track(this.finishTable(t));
      return;
    }
    t.pending++; // the key build is work on the table too
    this.leastLoaded().push({ kind: 'keys', table: t, seq: this.log.length, keys });
  }

  /** Run by a worker: the table's rows are all committed. */
  async addKeys(conn: Connection, t: TableState, keys: DeferredClause[]): Promise<void> {
    const sql = addClausesSql(qid(t.name), keys);
    if (sql) {
      // Restated: the dump's trailer may have switched it back on, and the ALTER must not check rows against other tables.
      await conn.query('SET foreign_key_checks = 0');
      try {
        const t0 = Date.now();
        await conn.query(sql);
        this.hooks.onKeys(t, keys.length, (Date.now() - t0) / 1000);
      } catch (err) {
        const at = t.createAt ?? { offset: 0, line: 0 };
        throw statementError(err, this.file, { ...at, sql: Buffer.from(sql, 'latin1') }, t.name);
      }
    }
    t.pending--;
    await this.finishTable(t);
  }

  private async finishTable(t: TableState): Promise<void> {
    t.finishedAt = Date.now();
    await this.hooks.tableDone(t);
    this.hooks.onTable({ type: 'table-done', table: t });
    this.notifyIdle(t);
  }

  private notifyIdle(t: TableState): void {
    if (t.pending > 0) return;
    const waiters = t.idle;
    t.idle = [];
    for (const w of waiters) w();
  }

  private whenIdle(t: TableState): Promise<void> {
    if (t.pending === 0) return Promise.resolve();
    return new Promise((r) => t.idle.push(r));
  }

  private leastLoaded(): Worker {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.queuedBytes + w.queue.length < best.queuedBytes + best.queue.length) best = w;
    return best;
  }

  private async dispatch(task: Task): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      let best: Worker | undefined;
      for (const w of this.workers) {
        if (!w.hasRoom()) continue;
        if (!best || w.queuedBytes < best.queuedBytes) best = w;
      }
      if (best) {
        best.push(task);
        return;
      }
      await new Promise<void>((r) => (this.roomWaiter = r));
    }
  }

  /** Waits until every worker has run and committed everything queued so far. */
  private async barrier(): Promise<void> {
    const busy = [...this.tables.values()].filter((t) => t.pending > 0);
    await Promise.all(busy.map((t) => this.whenIdle(t)));
    this.throwIfFailed();
  }

  private async runInOrder(stmt: Statement, table: string | undefined): Promise<void> {
    await this.barrier();
    await this.execDdl(stmt, table);
  }

  private async execDdl(stmt: Statement, table: string | undefined): Promise<void> {
    const sql = this.rewrite(stmt, table);
    if (!sql) return;
    await this.ddl.syncTo(this.log.length);
    try {
      await this.ddl.conn.query(sql);
    } catch (err) {
      throw statementError(err, this.file, stmt, table);
    }
  }

  private async addForeignKeys(): Promise<void> {
    const withFks = [...this.tables.values()].filter((t) => t.foreignKeys.length > 0);
    if (withFks.length === 0) return;
    // An earlier, interrupted run may have added some already.
    const [rows] = (await this.ddl.conn.query(
      "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'FOREIGN KEY'",
    )) as [Array<{ TABLE_NAME: Buffer | string; CONSTRAINT_NAME: Buffer | string }>, unknown];
    const have = new Set(rows.map((r) => `${String(r.TABLE_NAME)}\u0000${String(r.CONSTRAINT_NAME)}`));
    await this.ddl.conn.query('SET foreign_key_checks = 0');
    for (const t of withFks) {
      const missing = t.foreignKeys.filter((fk) => fk.name === undefined || !have.has(`${t.name}\u0000${fk.name}`));
      const sql = addClausesSql(qid(t.name), missing);
      if (!sql) continue;
      try {
        await this.ddl.conn.query(sql);
      } catch (err) {
        const at = t.createAt ?? { offset: 0, line: 0 };
        throw statementError(err, this.file, { ...at, sql: Buffer.from(sql, 'latin1') }, t.name);
      }
    }
  }

  private async runDeferred(): Promise<void> {
    if (this.deferred.length === 0) return;
    const s = await openSession(this.opts.address, this.log, undefined);
    try {
      for (const d of this.deferred) {
        this.throwIfFailed();
        await s.syncTo(d.seq);
        try {
          await s.conn.query(d.sql);
        } catch (err) {
          throw statementError(err, this.file, d.stmt, d.table);
        }
      }
    } finally {
      await s.conn.end().catch(() => s.conn.destroy());
    }
  }
}
