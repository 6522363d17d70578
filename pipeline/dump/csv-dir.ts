/**
 * Imports a CSV directory: `<table>.csv` files (a header row of column names, then one row per
 * record) plus their schema (`schema.sql` in the directory, or `schemaFile`, or tables that
 * already exist). The format is the one pipeline/dump/csv-writer.ts writes and
 * `SELECT ... INTO OUTFILE ... FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'` produces:
 * comma-separated, `"`-quoted where needed with `""` for a quote, backslash escapes (`\\`, `\0`,
 * `\n`, `\t`, `\r`, `\Z`, `\b`), and **`\N` is NULL** (the convention of mysqldump --tab and
 * SELECT INTO OUTFILE; a string `\N` is written `\\N`). Binary columns (BINARY, VARBINARY, BLOBs,
 * BIT, spatial) hold hex digits. Lines end in `\n` (a `\r\n` header switches the file to `\r\n`).
 *
 * Two loaders, same result:
 * - `LOAD DATA LOCAL INFILE` through mysql2's `infileStreamFactory` (the default when the server
 *   allows local_infile; drydock turns it on with SET GLOBAL on its scratch server). The server
 *   parses the file; any warning (truncation, bad value) or skipped row is an error here, because
 *   LOAD DATA LOCAL turns errors, duplicates included, into warnings.
 * - multi-row INSERTs from fast-csv, when LOAD DATA is refused. One known difference: LOAD DATA
 *   also reads an unquoted `NULL` as NULL; this loader reads it as the string 'NULL' (fast-csv does
 *   not say whether a field was quoted). drydock's writer never writes a bare NULL.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readdir, open } from 'node:fs/promises';
import { Transform, pipeline } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { basename, join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import { parse, parseString } from 'fast-csv';
import { DumpError, StageError, PipelineError } from '../errors.js';
import { connectionOptions, qid } from '../db/connection.js';
import { introspect } from '../db/introspect.js';
import type { TableInfo } from '../db/introspect.js';
import type { ServerAddress } from '../db/url.js';
import { applySchemaFile, bulkSession, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS } from './json-fixture.js';
import type { ImportResult } from './json-fixture.js';
import { isBinaryType, isBitType, SCHEMA_FILE } from './csv-writer.js';

export type CsvLoadMethod = 'load-data' | 'insert';

export interface CsvImportOptions {
  address: ServerAddress;
  dir: string;
  /** Default: `<dir>/schema.sql` when it exists; otherwise the tables must exist. */
  schemaFile?: string;
  /** Tables to load (default: every `<table>.csv` in `dir`). */
  tables?: string[];
  /** `auto` (default) uses LOAD DATA and falls back to INSERTs when the server refuses it. */
  method?: 'auto' | CsvLoadMethod;
  batchRows?: number;
  batchBytes?: number;
  signal?: AbortSignal;
  onEvent?: (e: CsvImportEvent) => void;
}

export type CsvImportEvent =
  | { event: 'schema'; file: string; statements: number; rewrites: string[] }
  | { event: 'fallback'; reason: string }
  | { event: 'table'; table: string; rows: number; method: CsvLoadMethod; seconds: number };

export interface CsvImportResult extends ImportResult {
  tables: Array<{ name: string; rows: number; method: CsvLoadMethod }>;
}

const MAX_HEADER_BYTES = 1024 * 1024;

// ---------------------------------------------------------------- pure parts

/** LOAD DATA's reading of one field's text (after CSV unquoting); null for `\N`. */
export function unescapeField(s: string): string | null {
  if (s === '\\N') return null;
  if (!s.includes('\\')) return s;
  return s.replace(/\\([\s\S])/g, (_m, c: string) => ESCAPES[c] ?? c);
}
const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** The LOAD DATA statement for a file whose header names `columns` of table `t`. Pure. */
export function loadDataSql(file: string, t: TableInfo, columns: string[], lineEnd: '\n' | '\r\n'): string {
  const types = new Map(t.columns.map((c) => [c.name, c.type]));
  const vars: string[] = [];
  const sets: string[] = [];
  columns.forEach((c, i) => {
    const type = types.get(c) ?? '';
    if (isBinaryType(type) || isBitType(type)) {
      vars.push(`@v${i}`);
      sets.push(`${qid(c)} = ${isBitType(type) ? `CAST(@v${i} AS UNSIGNED)` : `UNHEX(@v${i})`}`);
    } else vars.push(qid(c));
  });
  return (
    `LOAD DATA LOCAL INFILE ${mysql.escape(file)} INTO TABLE ${qid(t.name)} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '\\\\' LINES TERMINATED BY ${lineEnd === '\n' ? "'\\n'" : "'\\r\\n'"} ` +
    `IGNORE 1 LINES (${vars.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`
  );
}

/**
 * Passes bytes through and records where each CSV record starts (quote-aware, so a newline inside
 * a quoted field does not start one), because fast-csv reports no positions.
 */
export class RecordPositions extends Transform {
  readonly starts: Array<{ offset: number; line: number }> = [{ offset: 0, line: 1 }];
  bytes = 0;
  line = 1;
  private quoted = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x22) this.quoted = !this.quoted;
      else if (c === 0x0a) {
        this.line++;
        if (!this.quoted) this.starts.push({ offset: this.bytes + i + 1, line: this.line });
      }
    }
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

// ---------------------------------------------------------------- import

async function readHeader(file: string): Promise<{ columns: string[]; lineEnd: '\n' | '\r\n' }> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl < 0 && bytesRead === MAX_HEADER_BYTES) throw new DumpError('the header row is longer than 1 MiB', { file, offset: 0, line: 1 }, { hint: 'the first line must hold the column names' });
    // A UTF-8 BOM (spreadsheet exports) is not part of the first column's name.
    let text = buf.subarray(0, nl < 0 ? bytesRead : nl).toString('utf8').replace(/^\uFEFF/, '');
    const lineEnd = text.endsWith('\r') ? '\r\n' : '\n';
    if (lineEnd === '\r\n') text = text.slice(0, -1);
    const rows = await new Promise<string[][]>((ok, fail) => {
      const out: string[][] = [];
      parseString<string[], string[]>(text, { headers: false })
        .on('data', (r: string[]) => out.push(r))
        .on('error', fail)
        .on('end', () => ok(out));
    });
    const columns = rows[0] ?? [];
    if (columns.length === 0 || columns.some((c) => c === '')) {
      throw new DumpError('the first line is not a header of column names', { file, offset: 0, line: 1 }, { hint: 'add a header row naming the columns, e.g. id,name,created' });
    }
    return { columns, lineEnd };
  } finally {
    await fh.close();
  }
}

class CsvImporter {
  method: CsvLoadMethod | undefined;
  /** The one file the server may ask for: a LOAD DATA LOCAL request for anything else is refused. */
  private expectedFile: string | undefined;
  conn!: Connection;

  constructor(private readonly opts: CsvImportOptions) {
    if (opts.method && opts.method !== 'auto') this.method = opts.method;
  }

  async connect(): Promise<void> {
    this.conn = await mysql.createConnection({
      ...connectionOptions(this.opts.address),
      infileStreamFactory: (path: string) => {
        if (path !== this.expectedFile) throw new Error(`the server asked for ${path}, which drydock did not send`);
        return createReadStream(path);
      },
    });
  }

  /** Decides between LOAD DATA and INSERTs once, turning local_infile on where allowed. */
  async chooseMethod(): Promise<CsvLoadMethod> {
    if (this.method) return this.method;
    try {
      const [r] = await this.conn.query('SELECT @@GLOBAL.local_infile AS on_');
      if (Number((r as Array<{ on_: unknown }>)[0]?.on_) !== 1) await this.conn.query('SET GLOBAL local_infile = 1');
      this.method = 'load-data';
    } catch (err) {
      this.method = 'insert';
      this.opts.onEvent?.({ event: 'fallback', reason: `local_infile is off and cannot be turned on (${(err as Error).message})` });
    }
    return this.method;
  }

  async table(file: string, t: TableInfo): Promise<{ rows: number; method: CsvLoadMethod }> {
    const { columns, lineEnd } = await readHeader(file);
    const known = new Set(t.columns.map((c) => c.name));
    const unknown = columns.filter((c) => !known.has(c));
    if (unknown.length) {
      throw new DumpError(`header column(s) ${unknown.join(', ')} do not exist in table ${t.name}`, { file, offset: 0, line: 1 }, {
        table: t.name,
        hint: `the CSV header must name columns of ${t.name} (${t.columns.map((c) => c.name).join(', ')}); load the schema the CSV was exported with`,
      });
    }
    if ((await this.chooseMethod()) === 'load-data') {
      try {
        return { rows: await this.loadData(file, t, columns, lineEnd), method: 'load-data' };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'ER_LOAD_INFILE_CAPABILITY_DISABLED' && code !== 'ER_NOT_ALLOWED_COMMAND') throw err;
        this.method = 'insert';
        this.opts.onEvent?.({ event: 'fallback', reason: `the server refused LOAD DATA LOCAL (${(err as Error).message})` });
      }
    }
    return { rows: await this.inserts(file, t, columns), method: 'insert' };
  }

  async loadData(file: string, t: TableInfo, columns: string[], lineEnd: '\n' | '\r\n'): Promise<number> {
    this.expectedFile = resolve(file);
    let res: ResultSetHeader;
    try {
      [res] = (await this.conn.query(loadDataSql(this.expectedFile, t, columns, lineEnd))) as [ResultSetHeader, unknown];
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ER_LOAD_INFILE_CAPABILITY_DISABLED' || code === 'ER_NOT_ALLOWED_COMMAND') throw err;
      throw new StageError('import', `LOAD DATA of ${file} into ${t.name} failed: ${(err as Error).message}`, {
        cause: err,
        // MariaDB's bulk load into an empty table (unique_checks=0) finds duplicates only at the end and says only this.
        hint: /Operation not permitted/.test((err as Error).message)
          ? `a duplicate key in ${file}: MariaDB reports it this way when bulk-loading an empty table with unique_checks=0; find it with --csv-method insert, or deduplicate the file`
          : 'the CSV does not fit the table: check that the schema is the one the CSV was exported with',
      });
    } finally {
      this.expectedFile = undefined;
    }
    const skipped = Number(/Skipped: (\d+)/.exec(res.info)?.[1] ?? 0);
    if (res.warningStatus > 0 || skipped > 0) {
      const [w] = await this.conn.query('SHOW WARNINGS LIMIT 5');
      const warnings = (w as Array<{ Message: string }>).map((x) => x.Message);
      const row = Number(/at row (\d+)/.exec(warnings[0] ?? '')?.[1] ?? 0);
      // Rows are numbered from the first data row; the header is line 1 (exact unless fields span lines).
      throw new DumpError(
        `LOAD DATA reported ${res.warningStatus} warning(s) and ${skipped} skipped row(s): ${warnings.join('; ')}`,
        { file, offset: -1, line: row ? row + 1 : 0 },
        { table: t.name, hint: 'the CSV does not fit the table (a value too long or of the wrong type, or a duplicate key): fix the row or the schema; nothing of this table is kept if you re-run after TRUNCATE' },
      );
    }
    return res.affectedRows;
  }

  async inserts(file: string, t: TableInfo, columns: string[]): Promise<number> {
    const maxRows = this.opts.batchRows ?? DEFAULT_BATCH_ROWS;
    const maxBytes = this.opts.batchBytes ?? DEFAULT_BATCH_BYTES;
    const types = new Map(t.columns.map((c) => [c.name, c.type]));
    const binary = columns.map((c) => isBinaryType(types.get(c) ?? ''));
    const bits = columns.map((c) => isBitType(types.get(c) ?? ''));
    const head = `INSERT INTO ${qid(t.name)} (${columns.map(qid).join(', ')}) VALUES `;
    const positions = new RecordPositions();
    const rowsIn = pipeline(createReadStream(file, this.opts.signal ? { signal: this.opts.signal } : {}), positions, parse({ headers: false, ignoreEmpty: false }), () => undefined);
    let batch: string[] = [];
    let bytes = 0;
    let rows = 0;
    let index = 0;
    let inflight: Promise<unknown> | undefined;
    const send = async () => {
      if (!batch.length) return;
      const sql = head + batch.join(',');
      batch = [];
      bytes = 0;
      await inflight;
      // One INSERT in flight while fast-csv parses the next batch.
      inflight = this.conn.query(sql).catch((err: unknown) => {
        throw new StageError('import', `inserting into ${t.name} from ${file} failed: ${(err as Error).message}`, { cause: err, hint: 'the CSV does not fit the table: check that the schema is the one the CSV was exported with' });
      });
      inflight.catch(() => undefined);
    };
    await this.conn.query('START TRANSACTION');
    try {
      for await (const rec of rowsIn as AsyncIterable<string[]>) {
        const at = positions.starts.shift() ?? { offset: positions.bytes, line: positions.line };
        if (index++ === 0) continue; // the header
        if (rec.length !== columns.length) {
          throw new DumpError(`row has ${rec.length} fields, the header ${columns.length}`, { file, offset: at.offset, line: at.line }, { table: t.name, hint: 'quote fields that contain commas or newlines ("a,b"), and double quotes inside them ("")' });
        }
        const values = rec.map((f, i) => {
          const v = unescapeField(f);
          if (v !== null && bits[i]) {
            if (!/^\d+$/.test(v)) throw new DumpError(`BIT column ${columns[i]} must hold an unsigned number, got '${v.slice(0, 40)}'`, { file, offset: at.offset, line: at.line }, { table: t.name, hint: 'write BIT values as numbers (drydock export does this)' });
            return v;
          }
          if (v === null || !binary[i]) return mysql.escape(v);
          if (!/^([0-9a-fA-F]{2})*$/.test(v)) {
            throw new DumpError(`column ${columns[i]} is binary and must hold hex digits, got '${v.slice(0, 40)}'`, { file, offset: at.offset, line: at.line }, { table: t.name, hint: 'binary columns are written as hex (drydock export does this)' });
          }
          return `X'${v}'`;
        });
        const tuple = `(${values.join(',')})`;
        if (batch.length >= maxRows || (batch.length > 0 && bytes + tuple.length > maxBytes)) await send();
        batch.push(tuple);
        bytes += tuple.length + 1;
        rows++;
        this.opts.signal?.throwIfAborted();
      }
      await send();
      await inflight;
      await this.conn.query('COMMIT');
    } catch (err) {
      await inflight?.catch(() => undefined);
      await this.conn.query('ROLLBACK').catch(() => undefined);
      if (err instanceof PipelineError || (err as Error).name === 'AbortError') throw err;
      const at = positions.starts[0] ?? { offset: positions.bytes, line: positions.line };
      throw new DumpError(`cannot parse the CSV: ${(err as Error).message}`, { file, offset: at.offset, line: at.line }, { table: t.name, cause: err, hint: 'the file must be comma-separated with "-quoted fields; a file cut short ends inside a quoted field' });
    }
    return rows;
  }
}

/** Loads every `<table>.csv` of `dir` (or `tables`), after the schema. Tables load in name order. */
export async function importCsvDir(opts: CsvImportOptions): Promise<CsvImportResult> {
  const started = process.hrtime.bigint();
  opts.signal?.throwIfAborted();
  const imp = new CsvImporter(opts);
  await imp.connect();
  try {
    await bulkSession(imp.conn);
    const schemaFile = opts.schemaFile ?? (existsSync(join(opts.dir, SCHEMA_FILE)) ? join(opts.dir, SCHEMA_FILE) : undefined);
    if (schemaFile) {
      const r = await applySchemaFile(imp.conn, schemaFile, opts.signal);
      opts.onEvent?.({ event: 'schema', file: schemaFile, statements: r.statements, rewrites: r.rewrites });
    }
    const schema = await introspect(imp.conn, opts.address.database);
    let names: string[];
    try {
      names = opts.tables ?? (await readdir(opts.dir)).filter((f) => f.endsWith('.csv')).map((f) => basename(f, '.csv')).sort();
    } catch (err) {
      throw new DumpError(`cannot read the CSV directory: ${(err as Error).message}`, { file: opts.dir, offset: 0, line: 1 }, { hint: 'give the directory that holds <table>.csv files and schema.sql', cause: err });
    }
    const tables: CsvImportResult['tables'] = [];
    for (const name of names) {
      opts.signal?.throwIfAborted();
      const file = join(opts.dir, `${name}.csv`);
      const t = schema.tables.get(name);
      if (!t) {
        throw new DumpError(`${name}.csv has no table ${name} in database ${opts.address.database}`, { file, offset: 0, line: 1 }, {
          table: name,
          hint: `put its CREATE TABLE in ${join(opts.dir, SCHEMA_FILE)} (drydock export writes it), pass --schema <file.sql>, or create the table first`,
        });
      }
      const t0 = process.hrtime.bigint();
      const r = await imp.table(file, t);
      tables.push({ name, rows: r.rows, method: r.method });
      opts.onEvent?.({ event: 'table', table: name, rows: r.rows, method: r.method, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    }
    return { tables, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await imp.conn.end().catch(() => undefined);
  }
}
