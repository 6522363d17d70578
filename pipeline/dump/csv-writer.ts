/**
 * Writes a database as a CSV directory: `schema.sql` (SHOW CREATE TABLE of each table) and one
 * `<table>.csv` per table, in the format pipeline/dump/csv-dir.ts reads and `LOAD DATA` reads as
 * `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '\\' LINES TERMINATED BY '\n'`:
 *
 * - UTF-8, a header row of column names, one row per line (`\n`), comma-separated;
 * - string and temporal columns always quoted, a quote inside doubled (`""`);
 * - the backslash escapes: `\\` is a backslash, `\0` a NUL byte, and `\N` is NULL — written
 *   unquoted in numeric columns and quoted (`"\N"`) in always-quoted columns; LOAD DATA reads both
 *   as NULL (observed on MariaDB 10.11), while the string `\N` is written `"\\N"`;
 * - binary columns (BINARY, VARBINARY, BLOBs, spatial types) as hex digits, because CSV text
 *   cannot carry arbitrary bytes; the importer turns them back with UNHEX. BIT columns as
 *   unsigned decimal numbers; JSON as its text.
 *
 * Rows are streamed from the server (mysql2 query streams) in keyset pages of the primary key, so
 * memory is bounded and no statement holds a snapshot for the whole table.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import mysqlCore from 'mysql2';
import { format } from 'fast-csv';
import { StageError, ConfigError } from '../errors.js';
import { connect, connectionOptions, qid } from '../db/connection.js';
import { introspect, walkableKey } from '../db/introspect.js';
import type { ColumnInfo, TableInfo } from '../db/introspect.js';
import type { ServerAddress } from '../db/url.js';

/** Rows per keyset page. */
export const DEFAULT_PAGE_ROWS = 50_000;
export const SCHEMA_FILE = 'schema.sql';

/** Column types stored as hex in the CSV. */
export function isBinaryType(type: string): boolean {
  return /^((tiny|medium|long)?blob|(var)?binary|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)\b/i.test(type);
}

/** BIT columns travel as unsigned numbers: LOAD DATA would store the digits' characters as bits. */
export function isBitType(type: string): boolean {
  return /^bit\b/i.test(type);
}

/** Column types written unquoted (they never contain a comma, quote or newline). */
export function isNumericType(type: string): boolean {
  return /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|year|bit)\b/i.test(type);
}

/** Escapes a string value with LOAD DATA's escape character; the CSV quoting is the formatter's. */
export function escapeCsvValue(v: string): string {
  return v.replace(/[\\\0]/g, (c) => (c === '\\' ? '\\\\' : '\\0'));
}

export interface CsvExportOptions {
  address: ServerAddress;
  dir: string;
  /** Tables to export (default: every base table, views are not exported). */
  tables?: string[];
  pageRows?: number;
  signal?: AbortSignal;
  onEvent?: (e: { event: 'table'; table: string; rows: number; seconds: number }) => void;
}

export interface CsvExportResult {
  tables: Array<{ name: string; rows: number; file: string }>;
  schemaFile: string;
  seconds: number;
}

/** Generated columns are computed again on load; the server refuses values for them. */
export function exportedColumns(t: TableInfo): ColumnInfo[] {
  return t.columns.filter((c) => !/GENERATED/i.test(c.extra));
}

function selectList(cols: ColumnInfo[]): string {
  return cols.map((c) => (isBinaryType(c.type) ? `HEX(${qid(c.name)})` : isBitType(c.type) ? `${qid(c.name)} + 0` : qid(c.name))).join(', ');
}

/** SELECT for the page after `last` (undefined: the first page). Pure, for unit tests. */
export function pageQuery(t: TableInfo, key: string[], pageRows: number, last: unknown[] | undefined): { sql: string; values: unknown[] } {
  const cols = selectList(exportedColumns(t));
  const order = key.map(qid).join(', ');
  if (!last) return { sql: `SELECT ${cols} FROM ${qid(t.name)} ORDER BY ${order} LIMIT ${pageRows}`, values: [] };
  // Expanded rather than a row comparison: MariaDB does not turn `(a, b) > (?, ?)` into an index range.
  const terms: string[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < key.length; i++) {
    terms.push([...key.slice(0, i).map((k) => `${qid(k)} = ?`), `${qid(key[i]!)} > ?`].join(' AND '));
    values.push(...last.slice(0, i + 1));
  }
  return { sql: `SELECT ${cols} FROM ${qid(t.name)} WHERE ${terms.map((x) => `(${x})`).join(' OR ')} ORDER BY ${order} LIMIT ${pageRows}`, values };
}

/** mysql2 parses JSON columns into objects; the CSV needs the stored text, byte for byte. */
const jsonAsText: mysqlCore.TypeCast = (field, next) => (field.type === 'JSON' || field.extendedFormat === 'json' ? field.string('utf8') : next());

async function exportTable(core: mysqlCore.Connection, t: TableInfo, file: string, pageRows: number, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(file);
  const columns = exportedColumns(t);
  const numeric = columns.map((c) => isNumericType(c.type) || isBinaryType(c.type));
  const csv = format<string[], string[]>({
    headers: columns.map((c) => c.name),
    // An empty table still gets its header: the importer refuses a file without one.
    alwaysWriteHeaders: true,
    quoteColumns: numeric.map((n) => !n),
    quoteHeaders: false,
    rowDelimiter: '\n',
    includeEndRowDelimiter: true,
  });
  csv.pipe(out);
  const key = walkableKey(t);
  const keyIdx = key?.map((k) => columns.findIndex((c) => c.name === k)) ?? [];
  let rows = 0;
  let last: unknown[] | undefined;
  try {
    for (;;) {
      signal?.throwIfAborted();
      // A table with no walkable key is one streamed scan; memory stays bounded either way.
      const q = key ? pageQuery(t, key, pageRows, last) : { sql: `SELECT ${selectList(columns)} FROM ${qid(t.name)}`, values: [] };
      let n = 0;
      const stream = core.query({ sql: q.sql, values: q.values, rowsAsArray: true, typeCast: jsonAsText }).stream();
      for await (const row of stream as AsyncIterable<unknown[]>) {
        const cells = row.map((v) => (v === null ? '\\N' : escapeCsvValue(Buffer.isBuffer(v) ? v.toString('utf8') : String(v))));
        // Raw values are kept for the next page's bound: escaping must not leak into the WHERE.
        last = keyIdx.map((i) => row[i]);
        if (!csv.write(cells)) await once(csv, 'drain');
        n++;
      }
      rows += n;
      if (!key || n < pageRows) break;
    }
  } finally {
    csv.end();
    await once(out, 'close');
  }
  return rows;
}

/** Exports `tables` (default all) of the address's database as a CSV directory. */
export async function exportCsvDir(opts: CsvExportOptions): Promise<CsvExportResult> {
  const started = process.hrtime.bigint();
  const pageRows = opts.pageRows ?? DEFAULT_PAGE_ROWS;
  if (!Number.isInteger(pageRows) || pageRows < 1) throw new ConfigError(`pageRows must be a positive integer (got ${pageRows})`);
  await mkdir(opts.dir, { recursive: true });
  const conn = await connect(opts.address);
  const core = mysqlCore.createConnection(connectionOptions(opts.address));
  try {
    const schema = await introspect(conn, opts.address.database);
    const names = opts.tables ?? [...schema.tables.keys()];
    const missing = names.filter((n) => !schema.tables.has(n));
    if (missing.length) {
      throw new ConfigError(`table(s) ${missing.join(', ')} do not exist in ${opts.address.database}`, { hint: `export only existing base tables: ${[...schema.tables.keys()].join(', ') || '(none)'}` });
    }
    const schemaFile = join(opts.dir, SCHEMA_FILE);
    const ddl = names.map((n) => `${schema.tables.get(n)!.createSql};\n`).join('\n');
    await writeFile(schemaFile, `-- drydock CSV export of ${opts.address.database}: load with foreign_key_checks=0 (tables are in name order)\n\n${ddl}`);
    const result: CsvExportResult['tables'] = [];
    for (const name of names) {
      const t0 = process.hrtime.bigint();
      const file = join(opts.dir, `${name}.csv`);
      let rows: number;
      try {
        rows = await exportTable(core, schema.tables.get(name)!, file, pageRows, opts.signal);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw new StageError('export', `exporting ${name} to ${file} failed: ${(err as Error).message}`, { cause: err, hint: 'check free disk space and that the server is still up' });
      }
      result.push({ name, rows, file });
      opts.onEvent?.({ event: 'table', table: name, rows, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    }
    return { tables: result, schemaFile, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    core.end();
    await conn.end().catch(() => undefined);
  }
}
