/**
 * Turns a raw SQL migration (the output of Django's `manage.py sqlmigrate app 0042`) into steps.
 *
 * - DDL (ALTER/CREATE/DROP/RENAME TABLE, CREATE/DROP INDEX) becomes DdlSteps; the planner then merges
 *   consecutive ALTERs on one table.
 * - Unbounded DML recognised as safe to split by key range becomes a BatchedStep: `UPDATE t SET ...
 *   [WHERE ...]` (also `UPDATE a JOIN b ... SET a.x = ...` when only the first table is written),
 *   `DELETE FROM t [WHERE ...]`, `INSERT INTO x (...) SELECT ... FROM t ... [WHERE ...]`. The driving
 *   table is the updated / deleted-from / first selected-from table, walked by its primary key
 *   (or first unique NOT NULL key) from the schema snapshot.
 * - DML that does not keep its meaning when split becomes an SqlStep marked `unbatched`, which the
 *   runner refuses without --allow-unbatched: ORDER BY/LIMIT (the limit applies per statement),
 *   GROUP BY/DISTINCT/HAVING/UNION (groups would be split), an INSERT ... SELECT reading its own
 *   target (each batch would see the previous batches' rows), an UPDATE that changes the key it is
 *   walked by, a multi-table DELETE or an UPDATE writing a joined table, a table without a walkable key.
 * - BEGIN/COMMIT are dropped (each step makes its own transactions); anything else is an SqlStep.
 *
 * Each step's title is the nearest `--` comment above it (Django writes `-- Add field x to y` above
 * each operation's statements), else the statement's start.
 */
import { splitStatements } from '../../pipeline/dump/splitter.js';
import type { SchemaSnapshot } from '../../pipeline/db/introspect.js';
import { walkableKey } from '../../pipeline/db/introspect.js';
import { sqlLiteral } from '../../pipeline/db/connection.js';
import type { BatchedStep, DdlStep, SqlStep, Step } from './step.js';
import { RANGE_PLACEHOLDER } from './step.js';
import { skipQuoted } from './range.js';
import { parseAlter } from './ddl-merge.js';

export interface SqlFileOptions {
  /** Path or name of the file, for error messages and step ids. */
  file: string;
  /** The database the file will run against: keys of driving tables come from here. */
  schema: SchemaSnapshot;
  /** The migration name recorded on each step; default: the file name without extension. */
  migration?: string;
}

interface Tok {
  text: string;
  /** Upper-cased bare word; '' otherwise. */
  word: string;
  /** Identifier (bare word or backtick-quoted), as the server sees it; undefined otherwise. */
  ident: string | undefined;
  depth: number;
  start: number;
  end: number;
}

function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if ((c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!))) || c === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '`' || c === "'" || c === '"') {
      const end = skipQuoted(sql, i);
      const text = sql.slice(i, end + 1);
      out.push({ text, word: '', ident: c === '`' ? text.slice(1, -1).replace(/``/g, '`') : undefined, depth, start: i, end: end + 1 });
      i = end + 1;
    } else {
      const m = /^[A-Za-z0-9_$]+/.exec(sql.slice(i, i + 256));
      if (m) {
        out.push({ text: m[0], word: m[0].toUpperCase(), ident: m[0], depth, start: i, end: i + m[0].length });
        i += m[0].length;
      } else {
        if (c === ')') depth--;
        out.push({ text: c, word: '', ident: undefined, depth, start: i, end: i + 1 });
        if (c === '(') depth++;
        i++;
      }
    }
  }
  return out;
}

const CLAUSE_WORDS = new Set([
  'SET', 'WHERE', 'ORDER', 'LIMIT', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'CROSS', 'STRAIGHT_JOIN', 'NATURAL', 'ON', 'USING', 'GROUP',
  'HAVING', 'UNION', 'FROM', 'SELECT', 'VALUES', 'WINDOW', 'FOR', 'LOCK', 'INTO', 'RETURNING', 'PARTITION', 'FORCE', 'IGNORE', 'USE',
]);

interface TableRef {
  table: string;
  alias: string;
  /** Token index after the reference. */
  next: number;
}

/** Reads `name [[AS] alias]` at token index i; undefined for a derived table or a qualified name. */
function tableRef(toks: Tok[], i: number): TableRef | undefined {
  const t = toks[i];
  if (!t?.ident || CLAUSE_WORDS.has(t.word)) return undefined;
  if (toks[i + 1]?.text === '.') return undefined; // db.table: other databases are not ours to batch
  let j = i + 1;
  if (toks[j]?.word === 'AS') j++;
  const a = toks[j];
  if (a?.ident && !CLAUSE_WORDS.has(a.word)) return { table: t.ident, alias: a.ident, next: j + 1 };
  return { table: t.ident, alias: t.ident, next: i + 1 };
}

function findTop(toks: Tok[], word: string, from = 0): number {
  for (let i = from; i < toks.length; i++) if (toks[i]!.depth === 0 && toks[i]!.word === word) return i;
  return -1;
}

function topCommas(toks: Tok[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (toks[i]!.depth === 0 && toks[i]!.text === ',') out.push(i);
  return out;
}

type Classified =
  | { kind: 'skip' }
  | { kind: 'ddl'; table: string; appliedWhen?: string }
  | { kind: 'batched'; op: BatchedStep['op']; table: string; alias: string; target: string; sql: string; where?: string }
  | { kind: 'unbatched'; table: string; reason: string }
  | { kind: 'sql' };

/**
 * A probe telling whether an ALTER made only of ADD, DROP and `ALTER COLUMN x DROP DEFAULT`
 * clauses has already been applied (every added column/index/constraint present, every dropped
 * one absent, every such column without a default); undefined when a clause cannot be probed
 * (MODIFY, SET DEFAULT, RENAME ...): its step is then run again after a crash right after it.
 */
export function alterProbe(sql: string): string | undefined {
  const p = parseAlter(sql);
  if (!p) return undefined;
  const t = sqlLiteral(p.table);
  const conds: string[] = [];
  for (const c of p.clauses) {
    const dropDefault = /^ALTER\s+(?:COLUMN\s+)?(?:`(?:[^`]|``)+`|\w+)\s+DROP\s+DEFAULT\s*$/i.test(c.text.trim());
    if (dropDefault && c.effect?.def.length === 1 && c.effect.def[0]!.startsWith('column:')) {
      // The state the clause leaves: information_schema shows no default (NULL) for a NOT NULL
      // column, and 'NULL' (DEFAULT NULL, which is also where a nullable column starts from
      // when it had no other default) for a nullable one; '0' or '''x''' before.
      const v = sqlLiteral(c.effect.def[0]!.slice('column:'.length));
      conds.push(
        `EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${t} AND LOWER(COLUMN_NAME) = ${v}` +
          ` AND (COLUMN_DEFAULT IS NULL OR (IS_NULLABLE = 'YES' AND COLUMN_DEFAULT = 'NULL')))`,
      );
      continue;
    }
    const adds = /^ADD\b/i.test(c.text);
    if (!c.effect || (!adds && !/^DROP\b/i.test(c.text))) return undefined;
    for (const name of c.effect.def) {
      const [ns, n] = name.split(/:(.*)/s) as [string, string];
      const v = sqlLiteral(n);
      const exists =
        ns === 'column'
          ? `EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${t} AND LOWER(COLUMN_NAME) = ${v})`
          : `(EXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${t} AND LOWER(INDEX_NAME) = ${v})` +
            ` OR EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${t} AND LOWER(CONSTRAINT_NAME) = ${v}))`;
      conds.push(adds ? exists : `NOT ${exists}`);
    }
  }
  return conds.length ? `SELECT 1 FROM DUAL WHERE ${conds.join(' AND ')}` : undefined;
}

function classifyDdl(toks: Tok[], sql: string): Classified | undefined {
  const w = (i: number) => toks[i]?.word ?? '';
  const id = (i: number) => (toks[i + 1]?.text === '.' ? undefined : toks[i]?.ident);
  if (w(0) === 'ALTER' && w(1) === 'TABLE') {
    const t = id(2);
    if (!t) return undefined;
    const c: Classified = { kind: 'ddl', table: t };
    const probe = alterProbe(sql);
    if (probe) c.appliedWhen = probe;
    return c;
  }
  if (w(0) === 'CREATE' && w(1) === 'TABLE') {
    const n = w(2) === 'IF' ? 5 : 2;
    const t = id(n);
    if (!t) return undefined;
    return { kind: 'ddl', table: t, appliedWhen: `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)}` };
  }
  if (w(0) === 'DROP' && w(1) === 'TABLE') {
    const n = w(2) === 'IF' ? 4 : 2;
    const t = id(n);
    if (!t || toks.length !== n + 1) return undefined;
    return { kind: 'ddl', table: t, appliedWhen: `SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)})` };
  }
  if (w(0) === 'RENAME' && w(1) === 'TABLE') {
    const t = id(2);
    return t ? { kind: 'ddl', table: t } : undefined;
  }
  if (w(0) === 'CREATE' && toks.some((t) => t.word === 'INDEX') && w(1) !== 'TABLE') {
    const on = toks.findIndex((t) => t.word === 'ON');
    const t = on > 0 ? id(on + 1) : undefined;
    const name = toks[toks.findIndex((x) => x.word === 'INDEX') + 1]?.ident;
    if (!t) return undefined;
    const c: Classified = { kind: 'ddl', table: t };
    if (name) c.appliedWhen = `SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)} AND INDEX_NAME = ${sqlLiteral(name)}`;
    return c;
  }
  if (w(0) === 'DROP' && w(1) === 'INDEX') {
    const on = toks.findIndex((t) => t.word === 'ON');
    const t = on > 0 ? id(on + 1) : undefined;
    return t ? { kind: 'ddl', table: t } : undefined;
  }
  return undefined;
}

function keyOf(schema: SchemaSnapshot, table: string): string[] | undefined {
  const t = schema.tables.get(table) ?? [...schema.tables.values()].find((x) => x.name.toLowerCase() === table.toLowerCase());
  return t ? walkableKey(t) : undefined;
}

/** Splits `WHERE cond` off the end of a statement; the caller has checked no clause follows it. */
function whereOf(sql: string, toks: Tok[], from: number): { head: string; where: string | undefined } {
  const w = findTop(toks, 'WHERE', from);
  if (w < 0) return { head: sql, where: undefined };
  return { head: sql.slice(0, toks[w]!.start).trimEnd(), where: sql.slice(toks[w]!.end).trim() };
}

function classifyUpdate(sql: string, toks: Tok[], schema: SchemaSnapshot): Classified {
  let i = 1;
  while (['LOW_PRIORITY', 'IGNORE'].includes(toks[i]?.word ?? '')) i++;
  const ref = tableRef(toks, i);
  const set = findTop(toks, 'SET', i);
  if (!ref || set < 0) return { kind: 'sql' };
  const multi = toks.slice(ref.next, set).some((t) => t.depth === 0 && (t.text === ',' || t.word === 'JOIN'));
  if (findTop(toks, 'ORDER', set) >= 0 || findTop(toks, 'LIMIT', set) >= 0) {
    return { kind: 'unbatched', table: ref.table, reason: 'UPDATE with ORDER BY/LIMIT means "the first N rows" of the whole table; split into batches it would mean N per batch' };
  }
  const key = keyOf(schema, ref.table);
  if (!key) return { kind: 'unbatched', table: ref.table, reason: `table ${ref.table} has no primary key or unique NOT NULL key to walk in batches` };
  const whereAt = findTop(toks, 'WHERE', set);
  const assignEnd = whereAt < 0 ? toks.length : whereAt;
  const starts = [set + 1, ...topCommas(toks, set + 1, assignEnd).map((c) => c + 1)];
  const keyLower = new Set(key.map((k) => k.toLowerCase()));
  for (const s of starts) {
    // `alias.col =` or `col =`
    const qualified = toks[s + 1]?.text === '.';
    const owner = qualified ? toks[s]?.ident : undefined;
    const column = (qualified ? toks[s + 2]?.ident : toks[s]?.ident) ?? '';
    const writesDriving = qualified ? owner!.toLowerCase() === ref.alias.toLowerCase() : !multi;
    if (multi && !writesDriving) {
      return { kind: 'unbatched', table: ref.table, reason: `the multi-table UPDATE writes ${owner ?? column}, not only its first table ${ref.table}: rows of the other table could be written once per batch` };
    }
    if (writesDriving && keyLower.has(column.toLowerCase())) {
      return { kind: 'unbatched', table: ref.table, reason: `the UPDATE changes ${column}, part of the key ${key.join(', ')} it would be walked by` };
    }
  }
  const { head, where } = whereOf(sql, toks, set);
  if (multi) {
    return { kind: 'batched', op: 'update', table: ref.table, alias: ref.alias, target: ref.table, sql: `${head} WHERE ${RANGE_PLACEHOLDER}${where ? ` AND (${where})` : ''}` };
  }
  const c: Classified = { kind: 'batched', op: 'update', table: ref.table, alias: ref.alias, target: ref.table, sql: `${head} WHERE ${RANGE_PLACEHOLDER}` };
  if (where) c.where = where;
  return c;
}

function classifyDelete(sql: string, toks: Tok[], schema: SchemaSnapshot): Classified {
  let i = 1;
  while (['LOW_PRIORITY', 'QUICK', 'IGNORE'].includes(toks[i]?.word ?? '')) i++;
  if (toks[i]?.word !== 'FROM') {
    const t = toks[i]?.ident ?? '?';
    return { kind: 'unbatched', table: t, reason: 'a multi-table DELETE is not split into batches' };
  }
  const ref = tableRef(toks, i + 1);
  if (!ref) return { kind: 'sql' };
  const rest = toks.slice(ref.next).filter((t) => t.depth === 0);
  if (rest[0] && rest[0].word !== 'WHERE' && rest[0].word !== 'ORDER' && rest[0].word !== 'LIMIT') {
    return { kind: 'unbatched', table: ref.table, reason: 'a multi-table DELETE (USING/JOIN) is not split into batches' };
  }
  if (findTop(toks, 'ORDER', ref.next) >= 0 || findTop(toks, 'LIMIT', ref.next) >= 0 || findTop(toks, 'RETURNING', ref.next) >= 0) {
    return { kind: 'unbatched', table: ref.table, reason: 'DELETE with ORDER BY/LIMIT/RETURNING does not keep its meaning when split into batches' };
  }
  const key = keyOf(schema, ref.table);
  if (!key) return { kind: 'unbatched', table: ref.table, reason: `table ${ref.table} has no primary key or unique NOT NULL key to walk in batches` };
  const { head, where } = whereOf(sql, toks, ref.next);
  const c: Classified = { kind: 'batched', op: 'delete', table: ref.table, alias: ref.alias, target: ref.table, sql: `${head} WHERE ${RANGE_PLACEHOLDER}` };
  if (where) c.where = where;
  return c;
}

function classifyInsert(sql: string, toks: Tok[], schema: SchemaSnapshot): Classified {
  let i = 1;
  while (['LOW_PRIORITY', 'HIGH_PRIORITY', 'DELAYED', 'IGNORE'].includes(toks[i]?.word ?? '')) i++;
  if (toks[i]?.word === 'INTO') i++;
  const target = toks[i + 1]?.text === '.' ? undefined : toks[i]?.ident;
  const select = findTop(toks, 'SELECT', i);
  if (!target || select < 0) return { kind: 'sql' };
  const from = findTop(toks, 'FROM', select);
  if (from < 0) return { kind: 'sql' };
  const ref = tableRef(toks, from + 1);
  if (!ref) return { kind: 'unbatched', table: target, reason: 'INSERT ... SELECT from a derived table is not split into batches' };
  const readsTarget = toks.some((t, k) => k > select && t.ident?.toLowerCase() === target.toLowerCase() && ['FROM', 'JOIN'].includes(toks[k - 1]?.word ?? ''));
  if (readsTarget) {
    return { kind: 'unbatched', table: ref.table, reason: `INSERT ... SELECT reads its own target ${target}: each batch would see the rows earlier batches inserted` };
  }
  for (const w of ['GROUP', 'HAVING', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'ON', 'RETURNING', 'WINDOW']) {
    if (w === 'ON') {
      const on = findTop(toks, 'ON', from);
      if (on >= 0 && toks[on + 1]?.word === 'DUPLICATE') {
        return { kind: 'unbatched', table: ref.table, reason: 'INSERT ... SELECT ... ON DUPLICATE KEY UPDATE is not split into batches by drydock' };
      }
      continue;
    }
    if (findTop(toks, w, select) >= 0) {
      return { kind: 'unbatched', table: ref.table, reason: `INSERT ... SELECT with ${w}: groups, order and limits apply to the whole table, not per batch` };
    }
  }
  if (toks[select + 1]?.word === 'DISTINCT' || toks[select + 1]?.word === 'DISTINCTROW') {
    return { kind: 'unbatched', table: ref.table, reason: 'INSERT ... SELECT DISTINCT would only remove duplicates within each batch' };
  }
  const key = keyOf(schema, ref.table);
  if (!key) return { kind: 'unbatched', table: ref.table, reason: `table ${ref.table} has no primary key or unique NOT NULL key to walk in batches` };
  const multi = toks.slice(ref.next).some((t) => t.depth === 0 && (t.text === ',' || t.word === 'JOIN'));
  const { head, where } = whereOf(sql, toks, ref.next);
  if (multi) {
    return { kind: 'batched', op: 'copy', table: ref.table, alias: ref.alias, target, sql: `${head} WHERE ${RANGE_PLACEHOLDER}${where ? ` AND (${where})` : ''}` };
  }
  const c: Classified = { kind: 'batched', op: 'copy', table: ref.table, alias: ref.alias, target, sql: `${head} WHERE ${RANGE_PLACEHOLDER}` };
  if (where) c.where = where;
  return c;
}

/** Classifies one statement (exported for tests). */
export function classifySql(sql: string, schema: SchemaSnapshot): Classified {
  const toks = tokenize(sql);
  const first = toks[0]?.word ?? '';
  if (['BEGIN', 'COMMIT', 'ROLLBACK'].includes(first) || (first === 'START' && toks[1]?.word === 'TRANSACTION')) return { kind: 'skip' };
  const ddl = classifyDdl(toks, sql);
  if (ddl) return ddl;
  if (sql.includes(RANGE_PLACEHOLDER)) return { kind: 'sql' };
  if (first === 'UPDATE') return classifyUpdate(sql, toks, schema);
  if (first === 'DELETE') return classifyDelete(sql, toks, schema);
  if (first === 'INSERT') return classifyInsert(sql, toks, schema);
  if (first === 'REPLACE' && findTop(toks, 'SELECT') >= 0) {
    return { kind: 'unbatched', table: toks[toks[1]?.word === 'INTO' ? 2 : 1]?.ident ?? '?', reason: 'REPLACE ... SELECT is not split into batches by drydock' };
  }
  return { kind: 'sql' };
}

/** The last `--` comment text in `between`, if any. */
function lastComment(between: string): string | undefined {
  const comments = between
    .split('\n')
    .map((l) => /^\s*--\s?(.*)$/.exec(l)?.[1]?.trim() ?? '')
    .filter(Boolean);
  return comments[comments.length - 1];
}

function shortSql(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}

function baseName(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.sql$/i, '');
}

/** Splits a SQL migration file into steps (see the module comment for what becomes what). */
export async function stepsFromSql(text: Buffer | string, o: SqlFileOptions): Promise<Step[]> {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const migration = o.migration ?? baseName(o.file);
  const steps: Step[] = [];
  let prevEnd = 0;
  let n = 0;
  // Django writes one comment per operation, above all of that operation's statements.
  let comment: string | undefined;
  async function* source() {
    yield buf;
  }
  for await (const st of splitStatements(source(), { file: o.file })) {
    const sql = st.sql.toString('utf8');
    const between = buf.subarray(prevEnd, st.offset).toString('utf8');
    prevEnd = st.offset + st.sql.length;
    comment = lastComment(between) ?? comment;
    const c = classifySql(sql, o.schema);
    if (c.kind === 'skip') continue;
    n++;
    const base = { id: `${migration}#${n}`, title: comment ?? shortSql(sql), migration };
    if (c.kind === 'ddl') {
      const s: DdlStep = { ...base, kind: 'ddl', table: c.table, statements: [sql] };
      if (c.appliedWhen) s.appliedWhen = c.appliedWhen;
      steps.push(s);
    } else if (c.kind === 'batched') {
      const key = keyOf(o.schema, c.table)!;
      const s: BatchedStep = { ...base, kind: 'batched', op: c.op, driving: { table: c.table, alias: c.alias, key }, target: c.target, sql: c.sql };
      if (c.where) s.driving.where = c.where;
      steps.push(s);
    } else if (c.kind === 'unbatched') {
      const s: SqlStep = { ...base, kind: 'sql', statements: [sql], unbatched: { table: c.table, reason: c.reason } };
      steps.push(s);
    } else {
      steps.push({ ...base, kind: 'sql', statements: [sql] });
    }
  }
  return steps;
}
