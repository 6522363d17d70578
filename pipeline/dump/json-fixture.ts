/**
 * Imports a Django `dumpdata` JSON fixture (a JSON array of `{"model", "pk", "fields"}` objects)
 * into an existing schema. The file is streamed with stream-json: memory holds one element, the
 * rows of one INSERT batch per table, and a bounded natural-key cache, whatever the file size.
 *
 * A fixture carries no DDL, so the tables must exist: pass `schemaFile` (a .sql file of CREATE
 * statements, e.g. `mysqldump --no-data` or `manage.py sqlmigrate` output) or create them first
 * (e.g. `manage.py migrate` against the scratch database).
 *
 * Mapping, as Django's MySQL backend lays tables out:
 * - model `app.Model` → table `app_model` (Django's default db_table), unless `tables` maps it;
 * - field `x` → column `x`, or `x_id` when the table has `x_id` and not `x` (a ForeignKey);
 * - a many-to-many field (a list) → rows of the through table `<table>_<field>`, whose two
 *   columns are found by introspection (the foreign key to this table is the source);
 * - natural foreign keys (`--natural-foreign`: a list instead of an id) are resolved by looking the
 *   referenced row up by its natural-key columns ({@link DEFAULT_NATURAL_KEYS}, extendable);
 * - values: booleans → 1/0, objects (JSONField) → JSON text, ISO datetimes (`T`, optional `Z` or
 *   offset) → `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC for DATETIME/TIMESTAMP columns, base64 text →
 *   bytes for binary columns, dashed UUIDs → 32 hex digits for CHAR(32) columns (Django's MySQL UUIDField).
 */
import { createReadStream } from 'node:fs';
import { Transform, pipeline } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import streamArray from 'stream-json/streamers/stream-array.js';
import { DumpError, PipelineError, StageError } from '../errors.js';
import { connect, qid } from '../db/connection.js';
import { introspect } from '../db/introspect.js';
import type { SchemaSnapshot, TableInfo } from '../db/introspect.js';
import type { ServerAddress } from '../db/url.js';
import { splitStatements } from './splitter.js';
import { rewriteForFlavor } from './flavor-rewrite.js';
import { flavorOf } from '../engine/engine.js';

/** Rows per INSERT statement. */
export const DEFAULT_BATCH_ROWS = 1000;
/** Bytes of SQL per INSERT statement (well under any max_allowed_packet). */
export const DEFAULT_BATCH_BYTES = 1024 * 1024;
/** A transaction is committed once this much SQL has gone into it. */
export const COMMIT_BYTES = 16 * 1024 * 1024;
/** Natural-key lookups remembered; the cache is cleared when it grows past this. */
export const NATURAL_KEY_CACHE = 100_000;

/** Natural keys of Django's own models, by table (django/contrib/*: get_by_natural_key). */
export const DEFAULT_NATURAL_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  auth_user: ['username'],
  auth_group: ['name'],
  django_content_type: ['app_label', 'model'],
  django_site: ['domain'],
});

export type JsonFixtureEvent =
  | { event: 'schema'; file: string; statements: number; rewrites: string[] }
  | { event: 'progress'; bytes: number; elements: number; rows: number }
  | { event: 'done'; elements: number; rows: number; seconds: number };

export interface JsonFixtureOptions {
  address: ServerAddress;
  /** The fixture (`manage.py dumpdata --indent 0 > file.json`). */
  file: string;
  /** CREATE statements to run first; without it every table must exist already. */
  schemaFile?: string;
  /** Overrides of the model → table mapping, keyed by `app_label.model` (case-insensitive). */
  tables?: Record<string, string>;
  /** Natural keys of further tables, e.g. `{ patchwork_project: ['linkname'] }`. */
  naturalKeys?: Record<string, string[]>;
  batchRows?: number;
  batchBytes?: number;
  signal?: AbortSignal;
  onEvent?: (e: JsonFixtureEvent) => void;
}

export interface ImportResult {
  /** Rows inserted per table (through tables included), by table name. */
  tables: Array<{ name: string; rows: number }>;
  seconds: number;
}

// ---------------------------------------------------------------- pure mapping

/** Django's default db_table: `<app_label>_<model name lowercased>`. */
export function defaultTableName(model: string): string {
  const dot = model.indexOf('.');
  if (dot <= 0) throw new Error(`model '${model}' is not app_label.ModelName`);
  return `${model.slice(0, dot)}_${model.slice(dot + 1).toLowerCase()}`;
}

/** The table of a model, honouring overrides keyed case-insensitively by `app.model`. */
export function tableForModel(model: string, overrides: Record<string, string> = {}): string {
  const key = model.toLowerCase();
  for (const [k, v] of Object.entries(overrides)) if (k.toLowerCase() === key) return v;
  return defaultTableName(model);
}

/** How one fixture field lands in the database. */
export type FieldTarget =
  | { kind: 'column'; column: string; type: string; refTable?: string }
  | { kind: 'm2m'; through: string; source: string; target: string; targetTable: string | undefined };

/** Facts about the schema a model maps into: plain data, so the mapping is pure. */
export interface TableShape {
  name: string;
  /** column name → lower-case column type */
  columns: Map<string, string>;
  primaryKey: string[];
  /** column → referenced table */
  references: Map<string, string>;
}

export function shapeOf(t: TableInfo): TableShape {
  const references = new Map<string, string>();
  for (const fk of t.foreignKeys) if (fk.columns.length === 1) references.set(fk.columns[0]!, fk.refTable);
  return { name: t.name, columns: new Map(t.columns.map((c) => [c.name, c.type.toLowerCase()])), primaryKey: t.primaryKey, references };
}

/**
 * Maps a field name to its column or through table. `value` tells a many-to-many list from a
 * JSON array stored in a column. Returns undefined when nothing fits (the caller names the field).
 */
export function mapField(table: TableShape, field: string, value: unknown, lookup: (name: string) => TableShape | undefined): FieldTarget | undefined {
  const col = table.columns.get(field);
  if (col !== undefined) return withRef({ kind: 'column', column: field, type: col }, table.references.get(field));
  const fk = table.columns.get(`${field}_id`);
  if (fk !== undefined) return withRef({ kind: 'column', column: `${field}_id`, type: fk }, table.references.get(`${field}_id`));
  if (!Array.isArray(value)) return undefined;
  const through = lookup(`${table.name}_${field}`);
  if (!through) return undefined;
  const cols = [...through.columns.keys()].filter((c) => !through.primaryKey.includes(c) || through.primaryKey.length > 1);
  const toUs = cols.filter((c) => through.references.get(c) === table.name);
  let source: string | undefined;
  if (toUs.length === 1) source = toUs[0];
  else if (toUs.length === 2) source = toUs.find((c) => c.startsWith('from_')); // symmetrical self-relation
  else source = cols.find((c) => c === `${table.name.slice(table.name.indexOf('_') + 1)}_id`);
  const target = cols.find((c) => c !== source && c.endsWith('_id'));
  if (!source || !target) return undefined;
  return { kind: 'm2m', through: through.name, source, target, targetTable: through.references.get(target) };
}

function withRef(t: { kind: 'column'; column: string; type: string }, ref: string | undefined): FieldTarget {
  return ref === undefined ? t : { ...t, refTable: ref };
}

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `2020-01-02T03:04:05.123+02:00` → `2020-01-02 01:04:05.123000` (UTC); naive times are kept as they are. */
export function isoToMysqlDatetime(v: string): string | undefined {
  const m = ISO_DATETIME.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const z = zone.slice(1).replace(':', '');
    ms -= sign * (Number(z.slice(0, 2)) * 60 + Number(z.slice(2))) * 60_000;
  }
  const t = new Date(ms).toISOString(); // whole seconds: the fraction is carried as text, never through a double
  const base = `${t.slice(0, 10)} ${t.slice(11, 19)}`;
  return frac ? `${base}.${frac.slice(0, 6).padEnd(6, '0')}` : base;
}

/** The SQL value for a field value in a column of `type` (lower-case column type). */
export function toSqlValue(v: unknown, type: string): string | number | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) throw new RangeError(`integer ${v} is beyond 2^53 and lost precision in JSON parsing`);
    return v;
  }
  if (typeof v === 'string') {
    if (/^(datetime|timestamp)/.test(type)) return isoToMysqlDatetime(v) ?? v;
    if (/^(tiny|medium|long)?blob|^(var)?binary/.test(type)) return Buffer.from(v, 'base64');
    if (type === 'char(32)' && DASHED_UUID.test(v)) return v.replace(/-/g, '').toLowerCase();
    return v;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------- byte positions

/**
 * Passes bytes through and records where each top-level array element starts, because
 * stream-json reports no positions. A queue, consumed in element order.
 */
export class ElementPositions extends Transform {
  readonly starts: Array<{ offset: number; line: number }> = [];
  bytes = 0;
  line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expecting = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const base = this.bytes;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (this.depth === 1 && this.expecting && c !== 0x5d) {
        this.starts.push({ offset: base + i, line: this.line });
        this.expecting = false;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x5b || c === 0x7b) {
        this.depth++;
        if (this.depth === 1) this.expecting = true;
      } else if (c === 0x5d || c === 0x7d) this.depth--;
      else if (c === 0x2c && this.depth === 1) this.expecting = true;
    }
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

// ---------------------------------------------------------------- import

interface Batch {
  table: string;
  columns: string[];
  head: string;
  values: string[];
  bytes: number;
}

interface Located {
  index: number;
  offset: number;
  line: number;
  model: string;
}

class Importer {
  readonly counts = new Map<string, number>();
  private readonly batches = new Map<string, Batch>();
  private buffered = 0;
  private inflight: Promise<void> | undefined;
  private inTransaction = 0;
  private readonly shapes = new Map<string, TableShape | undefined>();
  private readonly naturalCache = new Map<string, string | number>();
  private readonly naturalKeys: Record<string, readonly string[]>;
  private readonly maxRows: number;
  private readonly maxBytes: number;

  constructor(
    private readonly conn: Connection,
    private readonly schema: SchemaSnapshot,
    private readonly opts: JsonFixtureOptions,
  ) {
    this.naturalKeys = { ...DEFAULT_NATURAL_KEYS, ...opts.naturalKeys };
    this.maxRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
    this.maxBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  rows(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  shape(name: string): TableShape | undefined {
    if (!this.shapes.has(name)) {
      const t = this.schema.tables.get(name);
      this.shapes.set(name, t ? shapeOf(t) : undefined);
    }
    return this.shapes.get(name);
  }

  fail(at: Located, message: string, hint: string, table?: string): never {
    throw new DumpError(`element #${at.index} (model ${at.model}): ${message}`, { file: this.opts.file, offset: at.offset, line: at.line }, table ? { hint, table } : { hint });
  }

  async element(el: unknown, at: Located): Promise<void> {
    if (typeof el !== 'object' || el === null || Array.isArray(el)) this.fail(at, 'is not an object', 'a dumpdata fixture is an array of {"model", "pk", "fields"} objects');
    const { model, pk, fields } = el as { model?: unknown; pk?: unknown; fields?: unknown };
    if (typeof model !== 'string' || !/^\w+\.\w+$/.test(model)) this.fail(at, `has no valid "model" (got ${JSON.stringify(model)})`, 'a dumpdata fixture names each object\'s model as "app_label.modelname"');
    at.model = model;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) this.fail(at, 'has no "fields" object', 'check that the file is `manage.py dumpdata` output');
    const tableName = tableForModel(model, this.opts.tables);
    const table = this.shape(tableName);
    if (!table) {
      this.fail(
        at,
        `maps to table ${tableName}, which does not exist in database ${this.schema.database}`,
        `a fixture carries no schema: pass the CREATE statements with --schema <file.sql> (e.g. \`mysqldump --no-data\` of the source, or \`manage.py sqlmigrate\` output), run \`manage.py migrate\` against the scratch database first, or map the model to its real table with --table ${model.toLowerCase()}=<table>`,
        tableName,
      );
    }
    const columns: string[] = [];
    const values: string[] = [];
    const m2m: Array<{ t: Extract<FieldTarget, { kind: 'm2m' }>; ids: unknown[]; field: string }> = [];
    const pkCol = table.primaryKey.length === 1 ? table.primaryKey[0]! : undefined;
    if (pk !== undefined && pk !== null) {
      if (!pkCol) this.fail(at, `has a pk but table ${tableName} has no single-column primary key`, 'map the model to the right table with --table', tableName);
      columns.push(pkCol);
      values.push(this.value(at, pk, table.columns.get(pkCol) ?? '', pkCol));
    }
    for (const [field, v] of Object.entries(fields as Record<string, unknown>)) {
      const target = mapField(table, field, v, (n) => this.shape(n));
      // An empty many-to-many list needs no through table: nothing is lost without one.
      if (!target && Array.isArray(v) && v.length === 0) continue;
      if (!target) {
        this.fail(
          at,
          `field "${field}" matches no column of ${tableName} (looked for ${field}, ${field}_id${Array.isArray(v) ? ` and the through table ${tableName}_${field}` : ''})`,
          'the schema does not match the fixture: load the schema of the Django version that wrote the fixture, or map the model with --table',
          tableName,
        );
      }
      if (target.kind === 'm2m') {
        m2m.push({ t: target, ids: v as unknown[], field });
        continue;
      }
      if (columns.includes(target.column)) continue; // pk given both as "pk" and as a field
      let val = v;
      if (Array.isArray(v) && target.refTable) val = await this.natural(at, target.refTable, v, field);
      columns.push(target.column);
      values.push(this.value(at, val, target.type, field));
    }
    await this.add(tableName, columns, values);
    if (m2m.some((x) => x.ids.length > 0)) {
      let id: unknown = pk;
      if (id === undefined || id === null) {
        const nk = this.naturalKeys[tableName];
        if (!nk) this.fail(at, 'has many-to-many values but no pk (natural primary key) and no known natural key', `re-dump without --natural-primary, or pass naturalKeys for ${tableName}`, tableName);
        id = await this.natural(at, tableName, nk.map((c) => (fields as Record<string, unknown>)[c]), 'pk');
      }
      for (const { t, ids, field } of m2m) {
        for (const target of ids) {
          const tid = Array.isArray(target) && t.targetTable ? await this.natural(at, t.targetTable, target, field) : target;
          await this.add(t.through, [t.source, t.target], [this.value(at, id, '', field), this.value(at, tid, '', field)]);
        }
      }
    }
  }

  value(at: Located, v: unknown, type: string, field: string): string {
    try {
      return mysql.escape(toSqlValue(v, type));
    } catch (err) {
      this.fail(at, `field "${field}": ${(err as Error).message}`, 'store such values as strings in the fixture (Django does for DecimalField)');
    }
  }

  /** Resolves a natural key (a list of values) to the referenced row's primary key. */
  async natural(at: Located, table: string, key: unknown[], field: string): Promise<string | number> {
    const cols = this.naturalKeys[table];
    const shape = this.shape(table);
    if (!cols || !shape || shape.primaryKey.length !== 1 || key.length !== cols.length || key.some((k) => typeof k === 'object' && k !== null)) {
      this.fail(
        at,
        `field "${field}" is a natural key ${JSON.stringify(key)} into ${table}, which drydock cannot resolve (known simple natural keys: ${Object.keys(this.naturalKeys).join(', ')})`,
        `re-dump without --natural-foreign, or pass naturalKeys {"${table}": [columns]} when its natural key is a flat list of columns`,
        table,
      );
    }
    const cacheKey = `${table}\u0000${JSON.stringify(key)}`;
    const hit = this.naturalCache.get(cacheKey);
    if (hit !== undefined) return hit;
    await this.flushTable(table);
    await this.drain();
    const [rows] = await this.conn.query(
      `SELECT ${qid(shape.primaryKey[0]!)} AS id FROM ${qid(table)} WHERE ${cols.map((c) => `${qid(c)} <=> ?`).join(' AND ')} LIMIT 2`,
      key.map((k, i) => toSqlValue(k, shape.columns.get(cols[i]!) ?? '')),
    );
    const found = rows as Array<{ id: string | number }>;
    if (found.length !== 1) {
      this.fail(at, `field "${field}": natural key ${JSON.stringify(key)} matches ${found.length === 0 ? 'no row' : 'more than one row'} of ${table}`, `dump with objects in dependency order (dumpdata does this with --natural-foreign), or include the ${table} rows in the fixture`, table);
    }
    if (this.naturalCache.size >= NATURAL_KEY_CACHE) this.naturalCache.clear();
    this.naturalCache.set(cacheKey, found[0]!.id);
    return found[0]!.id;
  }

  async add(table: string, columns: string[], values: string[]): Promise<void> {
    const sig = `${table}\u0000${columns.join('\u0000')}`;
    let b = this.batches.get(sig);
    if (!b) {
      b = { table, columns, head: `INSERT INTO ${qid(table)} (${columns.map(qid).join(', ')}) VALUES `, values: [], bytes: 0 };
      this.batches.set(sig, b);
    }
    const tuple = `(${values.join(', ')})`;
    if (b.values.length > 0 && (b.values.length >= this.maxRows || b.bytes + tuple.length > this.maxBytes)) await this.flush(sig, b);
    b.values.push(tuple);
    b.bytes += tuple.length + 1;
    this.buffered += tuple.length + 1;
    // Many models interleaved would otherwise hold a full batch each.
    if (this.buffered > this.maxBytes * 8) await this.flushAll();
  }

  /**
   * Sends a batch without waiting for it: the next batch is parsed while the server inserts this
   * one. At most one INSERT is in flight; its error surfaces at the next send, drain or commit.
   */
  async flush(_sig: string, b: Batch): Promise<void> {
    if (b.values.length === 0) return;
    const sql = b.head + b.values.join(',');
    const rows = b.values.length;
    const table = b.table;
    this.buffered -= b.bytes;
    b.values = [];
    b.bytes = 0;
    await this.drain();
    if (this.inTransaction === 0) await this.conn.query('START TRANSACTION');
    this.inTransaction += sql.length;
    const p = this.conn.query(sql).then(
      () => {
        this.counts.set(table, (this.counts.get(table) ?? 0) + rows);
      },
      (err: unknown) => {
        throw new StageError('import', `inserting ${rows} rows into ${table} from ${this.opts.file} failed: ${(err as Error).message}`, {
          cause: err,
          hint: 'the fixture does not fit the schema (duplicate key, wrong type or a value too long): check that the schema is the one the fixture was dumped from',
        });
      },
    );
    p.catch(() => undefined); // awaited later by drain(); this only keeps Node from calling it unhandled meanwhile
    this.inflight = p;
    if (this.inTransaction >= COMMIT_BYTES) await this.commit();
  }

  async drain(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    await p;
  }

  async flushTable(table: string): Promise<void> {
    for (const [sig, b] of [...this.batches]) if (b.table === table) await this.flush(sig, b);
  }

  async flushAll(): Promise<void> {
    for (const [sig, b] of [...this.batches]) await this.flush(sig, b);
  }

  async commit(): Promise<void> {
    await this.drain();
    if (this.inTransaction > 0) await this.conn.query('COMMIT');
    this.inTransaction = 0;
  }
}

/** Sets up a bulk-load session: no FK/unique checks, UTC, explicit zero ids kept, backslash escapes on. */
export async function bulkSession(conn: Connection): Promise<void> {
  await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = ?', ['+00:00']);
  await conn.query(
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(REPLACE(REPLACE(REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), 'NO_AUTO_VALUE_ON_ZERO', ''), ',,', ','), ''), 'NO_AUTO_VALUE_ON_ZERO')",
  );
}

/**
 * Runs a schema file (CREATE statements; DELIMITER blocks allowed) statement by statement, each
 * rewritten for the server's flavor first, so a MySQL 8 `--no-data` dump loads into MariaDB.
 */
export async function applySchemaFile(conn: Connection, file: string, signal?: AbortSignal): Promise<{ statements: number; rewrites: string[] }> {
  const [v] = await conn.query('SELECT VERSION() AS v');
  const version = String((v as Array<{ v: string }>)[0]?.v ?? '');
  const target = flavorOf(version);
  const rewrites: string[] = [];
  let statements = 0;
  const source = createReadStream(file, signal ? { signal } : {});
  try {
    for await (const st of splitStatements(source, { file })) {
      const text = st.sql.toString('utf8');
      const location = { file, offset: st.offset, line: st.line };
      let sql = text;
      try {
        const r = rewriteForFlavor(text, target, { targetVersion: version });
        sql = r.sql;
        rewrites.push(...r.rewrites);
      } catch (err) {
        if (err instanceof PipelineError) throw new DumpError(err.message, location, { hint: err.hint ?? '', cause: err, excerpt: text.slice(0, 120) });
        throw err;
      }
      if (!sql) continue;
      try {
        await conn.query(sql);
      } catch (err) {
        throw new DumpError(`schema statement failed: ${(err as Error).message}`, location, {
          hint: 'the schema file must hold CREATE statements this server accepts (e.g. `mysqldump --no-data` output)',
          cause: err,
          excerpt: text.slice(0, 120),
        });
      }
      statements++;
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw new DumpError(`cannot read the schema file: ${(err as Error).message}`, { file, offset: 0, line: 1 }, { hint: 'check the path given for the schema file', cause: err });
    }
    throw err;
  }
  return { statements, rewrites };
}

/**
 * Streams a dumpdata fixture into the database at `address`. Rows are inserted in multi-row
 * INSERTs, committed every {@link COMMIT_BYTES}; an error leaves what was committed before it.
 */
export async function importJsonFixture(opts: JsonFixtureOptions): Promise<ImportResult> {
  const started = process.hrtime.bigint();
  opts.signal?.throwIfAborted();
  const conn = await connect(opts.address);
  try {
    await bulkSession(conn);
    if (opts.schemaFile) {
      const r = await applySchemaFile(conn, opts.schemaFile, opts.signal);
      opts.onEvent?.({ event: 'schema', file: opts.schemaFile, statements: r.statements, rewrites: r.rewrites });
    }
    const schema = await introspect(conn, opts.address.database);
    const imp = new Importer(conn, schema, opts);
    const positions = new ElementPositions();
    const elements = streamArray.withParserAsStream();
    const source = createReadStream(opts.file, opts.signal ? { signal: opts.signal } : {});
    let streamError: unknown;
    const out = pipeline(source, positions, elements, (err) => {
      if (err) streamError = err;
    });
    let index = 0;
    let lastEvent = Date.now();
    try {
      for await (const item of out as AsyncIterable<{ key: number; value: unknown }>) {
        opts.signal?.throwIfAborted();
        const pos = positions.starts.shift() ?? { offset: positions.bytes, line: positions.line };
        await imp.element(item.value, { index: item.key, offset: pos.offset, line: pos.line, model: '?' });
        index++;
        if (opts.onEvent && Date.now() - lastEvent >= 1000) {
          lastEvent = Date.now();
          opts.onEvent({ event: 'progress', bytes: positions.bytes, elements: index, rows: imp.rows() });
        }
      }
    } catch (err) {
      out.destroy();
      if (err instanceof PipelineError || (err as Error).name === 'AbortError') throw err;
      const e = streamError ?? err;
      const pos = positions.starts[0] ?? { offset: positions.bytes, line: positions.line };
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new DumpError(`cannot read the fixture: ${(e as Error).message}`, { file: opts.file, offset: 0, line: 1 }, { hint: 'check the path given for the JSON fixture', cause: e });
      }
      throw new DumpError(`the fixture is not a valid JSON array (element #${index}): ${(e as Error).message}`, { file: opts.file, offset: pos.offset, line: pos.line }, {
        hint: 'the file must be `manage.py dumpdata` output, a single JSON array; a file cut short ends inside an element: compare its size with the original',
        cause: e,
      });
    }
    if (streamError) throw streamError;
    await imp.flushAll();
    await imp.commit();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    opts.onEvent?.({ event: 'done', elements: index, rows: imp.rows(), seconds });
    return { tables: [...imp.counts].map(([name, n]) => ({ name, rows: n })).sort((a, b) => a.name.localeCompare(b.name)), seconds };
  } finally {
    await conn.end().catch(() => undefined);
  }
}
