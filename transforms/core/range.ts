/**
 * Key-range SQL for batched steps: pure text, no connection.
 *
 * Chunking is keyset-based, like pt-archiver and gh-ost: the next chunk's upper bound is found with
 * `... WHERE key > last ORDER BY key LIMIT 1 OFFSET n-1`, which walks at most n index entries from
 * where the previous chunk ended. OFFSET over the whole table would rescan every earlier row on
 * each batch (quadratic), and a chunk defined by arithmetic on ids (`id BETWEEN x AND x+n`) is
 * empty or huge on sparse ids and impossible on string or composite keys.
 *
 * Bounds are lower-exclusive and upper-inclusive: a chunk is `(after, upTo]`, so consecutive
 * chunks neither overlap nor leave a gap, and a checkpoint only needs the last `upTo` reached.
 * When the bound query finds no row, fewer than n rows are left: the final chunk is `(after, ∞)`.
 * An empty table is one final chunk `(-∞, ∞)` that touches nothing.
 */
import type { BatchedStep, DrivingTable } from './step.js';
import { RANGE_PLACEHOLDER } from './step.js';

/** Values of the key columns, in key order. */
export type KeyTuple = readonly unknown[];

/** SQL text with its positional `?` parameters. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** A chunk of the driving table: rows with key in `(after, upTo]`; null means unbounded on that side. */
export interface KeyRange {
  after: KeyTuple | null;
  upTo: KeyTuple | null;
}

function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** The driving table as a FROM reference, qualified when it names its database. */
function tableRef(d: DrivingTable): string {
  return d.database === undefined ? quoteId(d.table) : `${quoteId(d.database)}.${quoteId(d.table)}`;
}

function col(alias: string, column: string): string {
  return `${quoteId(alias)}.${quoteId(column)}`;
}

function checkTuple(key: readonly string[], values: KeyTuple, what: string): void {
  if (key.length === 0) throw new Error('a driving table needs at least one key column');
  if (values.length !== key.length) {
    throw new Error(`${what} has ${values.length} value(s) for a key of ${key.length} column(s) (${key.join(', ')})`);
  }
}

/**
 * `(k1, k2, ...) <op> (v1, v2, ...)` expanded as `k1 >= v1 AND (k1 > v1 OR (k1 = v1 AND (k2 > v2 ...)))`.
 * MariaDB does not always turn a row-constructor comparison into an index range; the expanded form
 * is, and the redundant leading `k1 >= v1` gives the optimiser a range on the first column even when
 * it gives up on the OR.
 */
function tupleCompare(alias: string, key: readonly string[], values: KeyTuple, dir: '>' | '<'): SqlFragment {
  const strict = dir;
  const last = dir === '>' ? '>' : '<=';
  const params: unknown[] = [];
  const build = (i: number): string => {
    const c = col(alias, key[i]!);
    if (i === key.length - 1) {
      params.push(values[i]);
      return `${c} ${last} ?`;
    }
    params.push(values[i], values[i]);
    return `(${c} ${strict} ? OR (${c} = ? AND ${build(i + 1)}))`;
  };
  const body = build(0);
  if (key.length === 1) return { sql: body, params };
  const first = col(alias, key[0]!);
  return { sql: `${first} ${dir === '>' ? '>=' : '<='} ? AND ${body}`, params: [values[0], ...params] };
}

/** Rows whose key is strictly after `after`. */
export function afterPredicate(alias: string, key: readonly string[], after: KeyTuple): SqlFragment {
  checkTuple(key, after, 'the lower bound');
  return tupleCompare(alias, key, after, '>');
}

/** Rows whose key is at most `upTo`. */
export function upToPredicate(alias: string, key: readonly string[], upTo: KeyTuple): SqlFragment {
  checkTuple(key, upTo, 'the upper bound');
  return tupleCompare(alias, key, upTo, '<');
}

function and(parts: SqlFragment[]): SqlFragment {
  if (parts.length === 0) return { sql: '1=1', params: [] };
  return {
    sql: parts.map((p) => (parts.length === 1 ? p.sql : `(${p.sql})`)).join(' AND '),
    params: parts.flatMap((p) => p.params),
  };
}

/** The predicate selecting a chunk of the driving table, including the driving table's own filter. */
export function rangePredicate(d: DrivingTable, range: KeyRange): SqlFragment {
  const parts: SqlFragment[] = [];
  if (range.after) parts.push(afterPredicate(d.alias, d.key, range.after));
  if (range.upTo) parts.push(upToPredicate(d.alias, d.key, range.upTo));
  if (d.where?.trim()) parts.push({ sql: d.where.trim(), params: [] });
  return and(parts);
}

/**
 * The query finding the upper bound of the chunk after `after` holding `rows` matching rows: it
 * returns the key of that chunk's last row, or no row when fewer than `rows` remain (then the next
 * chunk is the final, open-ended one).
 */
export function nextBoundQuery(d: DrivingTable, after: KeyTuple | null, rows: number): SqlFragment {
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`batch size must be a positive integer (got ${rows})`);
  const where = rangePredicate(d, { after, upTo: null });
  const keys = d.key.map((k) => col(d.alias, k));
  const aliased = d.key.map((k, i) => `${col(d.alias, k)} AS ${quoteId(`k${i}`)}`);
  return {
    sql:
      `SELECT ${aliased.join(', ')} FROM ${tableRef(d)} AS ${quoteId(d.alias)} WHERE ${where.sql} ` +
      `ORDER BY ${keys.join(', ')} LIMIT 1 OFFSET ${rows - 1}`,
    params: where.params,
  };
}

/** Reads the bound out of a row returned by {@link nextBoundQuery}. */
export function boundFromRow(d: DrivingTable, row: Record<string, unknown> | undefined): KeyTuple | null {
  if (!row) return null;
  return d.key.map((_, i) => row[`k${i}`]);
}

/** Counts the driving rows a step will walk (the plan's estimate for filtered drivers). */
export function countQuery(d: DrivingTable): SqlFragment {
  const where = rangePredicate(d, { after: null, upTo: null });
  return { sql: `SELECT COUNT(*) AS n FROM ${tableRef(d)} AS ${quoteId(d.alias)} WHERE ${where.sql}`, params: where.params };
}

/**
 * Number of `?` placeholders in SQL text, ignoring those inside strings, quoted identifiers and
 * comments (they are not parameters).
 */
export function countPlaceholders(sql: string): number {
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
    } else if (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '?') n++;
  }
  return n;
}

/** Index of the closing quote of the quoted text starting at `start`. */
export function skipQuoted(sql: string, start: number): number {
  const q = sql[start]!;
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '\\' && q !== '`') i++;
    else if (c === q) {
      if (sql[i + 1] === q) i++;
      else return i;
    }
  }
  return sql.length;
}

/**
 * A batched step's statement for one chunk: `{range}` replaced by the chunk's predicate, the
 * predicate's parameters spliced in among the step's own at the placeholder's position.
 */
export function batchStatement(step: BatchedStep, range: KeyRange): SqlFragment {
  const at = step.sql.indexOf(RANGE_PLACEHOLDER);
  if (at < 0 || step.sql.indexOf(RANGE_PLACEHOLDER, at + 1) >= 0) {
    throw new Error(`step ${step.id}: its SQL must contain ${RANGE_PLACEHOLDER} exactly once`);
  }
  const before = step.sql.slice(0, at);
  const after = step.sql.slice(at + RANGE_PLACEHOLDER.length);
  const own = step.params ?? [];
  const n = countPlaceholders(before);
  const pred = rangePredicate(step.driving, range);
  return {
    sql: `${before}(${pred.sql})${after}`,
    params: [...own.slice(0, n), ...pred.params, ...own.slice(n)],
  };
}

/**
 * Replaces each `?` outside strings, quoted identifiers and comments by `escape(param)`.
 * mysql2's own formatting replaces every `?`, including one inside a string literal of a
 * migration's SQL (`SET note = 'why?'`); this one does not.
 */
export function inlineParams(sql: string, params: readonly unknown[], escape: (v: unknown) => string): string {
  let out = '';
  let from = 0;
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') i = skipQuoted(sql, i);
    else if ((c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!))) || c === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '?') {
      if (n >= params.length) throw new Error(`the statement has more ? placeholders than the ${params.length} parameter(s) given`);
      out += sql.slice(from, i) + escape(params[n++]);
      from = i + 1;
    }
  }
  if (n !== params.length) throw new Error(`the statement has ${n} ? placeholder(s) but ${params.length} parameter(s) were given`);
  return out + sql.slice(from);
}
