/**
 * Merges consecutive `ALTER TABLE t ...` statements on one table into one ALTER, so InnoDB
 * rebuilds the table once instead of once per statement (Django's sqlmigrate writes one ALTER per
 * field, index and constraint; on a table of millions of rows each rebuild costs minutes).
 *
 * A merge is made only where one ALTER provably gives the same result as the sequence. A single
 * ALTER validates every clause against the table as it was *before* the statement, plus what the
 * same statement adds; so:
 * - a clause may *use* a column added earlier in the group (`ADD COLUMN x` then `ADD INDEX (x)`,
 *   `ADD CONSTRAINT ... FOREIGN KEY (x)`, `AFTER x`): MariaDB accepts that and the result is the same;
 * - a clause may not define, drop, modify or rename a name (column, index, constraint) that an
 *   earlier clause in the group already touched in any way (add-then-drop, drop-then-re-add,
 *   `ADD COLUMN x DEFAULT 0` then `ALTER COLUMN x DROP DEFAULT` — Django's pattern, whose two-step
 *   meaning is "fill existing rows with 0, then drop the default"), nor use one that was dropped,
 *   modified or renamed;
 * - a clause that is not understood (table rename, table options, ALGORITHM/LOCK, partitioning,
 *   generated columns, CHECK) ends the group, and so does any statement that is not an ALTER on
 *   the same table (a data step, CREATE TABLE, another table).
 * `CREATE [UNIQUE] INDEX i ON t (...)` and `DROP INDEX i ON t` are treated as the ALTER they are
 * equivalent to, so Django's separate index statements join the table's rebuild.
 */
import type { DdlStep, Step } from './step.js';
import { skipQuoted } from './range.js';

interface Token {
  text: string;
  /** Upper-cased bare word, or '' for quoted identifiers, strings and punctuation. */
  word: string;
  /** Identifier value (unquoted, lower-cased), for bare words and backtick-quoted names. */
  ident: string | undefined;
  start: number;
  end: number;
}

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (c === '`' || c === "'" || c === '"') {
      const end = skipQuoted(sql, i);
      const text = sql.slice(i, end + 1);
      const ident = c === '`' ? text.slice(1, -1).replace(/``/g, '`').toLowerCase() : undefined;
      out.push({ text, word: '', ident, start: i, end: end + 1 });
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_$]+/.exec(sql.slice(i));
    if (m) {
      const text = m[0];
      out.push({ text, word: text.toUpperCase(), ident: text.toLowerCase(), start: i, end: i + text.length });
      i += text.length;
      continue;
    }
    out.push({ text: c, word: '', ident: undefined, start: i, end: i + 1 });
    i++;
  }
  return out;
}

/** What a clause does to names: `def` = adds, drops, modifies or renames; `use` = only refers to. */
interface ClauseEffect {
  def: string[];
  use: string[];
}

export interface AlterClause {
  text: string;
  /** undefined when the clause is not understood: it never merges. */
  effect: ClauseEffect | undefined;
}

export interface ParsedAlter {
  /** Table name as written (quoted or not), and its normalised form. */
  tableText: string;
  table: string;
  clauses: AlterClause[];
}

function unquote(t: Token | undefined): string | undefined {
  return t?.ident;
}

/** Identifier names inside the first parenthesised list at or after token index `from`. */
function parenNames(tokens: Token[], from: number): { names: string[]; end: number } | undefined {
  let i = from;
  while (i < tokens.length && tokens[i]!.text !== '(') i++;
  if (i >= tokens.length) return undefined;
  const names: string[] = [];
  let depth = 0;
  let expectName = true;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') {
      depth++;
      if (depth === 1) expectName = true;
      continue;
    }
    if (t.text === ')') {
      depth--;
      if (depth === 0) return { names, end: i };
      continue;
    }
    if (depth === 1 && t.text === ',') {
      expectName = true;
      continue;
    }
    if (depth === 1 && expectName && t.ident !== undefined) {
      names.push(t.ident);
      expectName = false;
    }
  }
  return undefined;
}

const col = (n: string) => `column:${n}`;
const idx = (n: string) => `index:${n}`;

/** Classifies one clause of an ALTER TABLE. */
function clauseEffect(tokens: Token[]): ClauseEffect | undefined {
  const w = (i: number) => tokens[i]?.word ?? '';
  if (tokens.length === 0) return undefined;
  const text = tokens.map((t) => t.word).join(' ');
  // Generated columns, CHECK constraints and partitioning refer to names in expressions we do not parse.
  if (/\b(CHECK|GENERATED|PARTITION|PERIOD|SYSTEM)\b/.test(text) || tokens.some((t, k) => t.word === 'AS' && tokens[k + 1]?.text === '(')) {
    return undefined;
  }
  let i = 1;
  if (w(0) === 'ADD') {
    let constraintName: string | undefined;
    if (w(i) === 'CONSTRAINT') {
      if (w(i + 1) !== 'FOREIGN' && w(i + 1) !== 'UNIQUE' && w(i + 1) !== 'PRIMARY') {
        constraintName = unquote(tokens[i + 1]);
        i += 2;
      } else i += 1;
    }
    const kw = w(i);
    if (['INDEX', 'KEY', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'PRIMARY', 'FOREIGN'].includes(kw)) {
      let j = i + 1;
      while (['INDEX', 'KEY'].includes(w(j))) j++;
      if (w(j) === 'IF') j += 3; // IF NOT EXISTS
      let name = constraintName;
      if (tokens[j]?.text !== '(' && tokens[j]?.ident !== undefined && w(j) !== 'USING') {
        name ??= tokens[j]!.ident;
        j++;
      }
      const cols = parenNames(tokens, j);
      if (!cols || cols.names.length === 0) return undefined;
      if (kw === 'PRIMARY') name = 'primary';
      const def = [idx(name ?? cols.names[0]!)];
      if (constraintName && kw === 'FOREIGN') def.push(idx(constraintName));
      return { def, use: cols.names.map(col) };
    }
    if (constraintName) return undefined;
    if (w(i) === 'COLUMN') i++;
    if (w(i) === 'IF') i += 3;
    if (tokens[i]?.text === '(') return undefined; // ADD COLUMN (a ..., b ...)
    const name = unquote(tokens[i]);
    if (!name) return undefined;
    const use: string[] = [];
    const after = tokens.findIndex((t) => t.word === 'AFTER');
    if (after > i && tokens[after + 1]?.ident) use.push(col(tokens[after + 1]!.ident!));
    // An inline REFERENCES is ignored by InnoDB; an inline UNIQUE/PRIMARY KEY creates an index named after the column.
    const def = [col(name)];
    if (/\b(UNIQUE|PRIMARY)\b/.test(text)) def.push(idx(/\bPRIMARY\b/.test(text) ? 'primary' : name));
    return { def, use };
  }
  if (w(0) === 'DROP') {
    if (w(1) === 'PRIMARY' && w(2) === 'KEY') return { def: [idx('primary')], use: [] };
    if (['INDEX', 'KEY', 'CONSTRAINT'].includes(w(1)) || (w(1) === 'FOREIGN' && w(2) === 'KEY')) {
      let j = w(1) === 'FOREIGN' ? 3 : 2;
      if (w(j) === 'IF') j += 2;
      const name = unquote(tokens[j]);
      return name && tokens.length === j + 1 ? { def: [idx(name)], use: [] } : undefined;
    }
    let j = w(1) === 'COLUMN' ? 2 : 1;
    if (w(j) === 'IF') j += 2;
    const name = unquote(tokens[j]);
    if (!name || tokens.length !== j + 1 && !(tokens.length === j + 2 && ['RESTRICT', 'CASCADE'].includes(w(j + 1)))) return undefined;
    return { def: [col(name)], use: [] };
  }
  if (w(0) === 'MODIFY' || w(0) === 'ALTER') {
    const j = w(1) === 'COLUMN' ? 2 : 1;
    const name = unquote(tokens[j]);
    if (!name || (w(0) === 'ALTER' && w(j) === 'INDEX')) return undefined;
    const use: string[] = [];
    const after = tokens.findIndex((t) => t.word === 'AFTER');
    if (after > j && tokens[after + 1]?.ident) use.push(col(tokens[after + 1]!.ident!));
    return { def: [col(name)], use };
  }
  if (w(0) === 'CHANGE') {
    const j = w(1) === 'COLUMN' ? 2 : 1;
    const from = unquote(tokens[j]);
    const to = unquote(tokens[j + 1]);
    if (!from || !to) return undefined;
    return { def: [col(from), col(to), idx(from), idx(to)], use: [] };
  }
  if (w(0) === 'RENAME' && ['COLUMN', 'INDEX', 'KEY'].includes(w(1)) && w(3) === 'TO') {
    const from = unquote(tokens[2]);
    const to = unquote(tokens[4]);
    if (!from || !to || tokens.length !== 5) return undefined;
    const ns = w(1) === 'COLUMN' ? col : idx;
    return { def: [ns(from), ns(to)], use: [] };
  }
  // RENAME [TO] (the table), table options, ALGORITHM=, LOCK=, CONVERT TO, ORDER BY, FORCE ...
  return undefined;
}

function splitTopLevel(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    if (t.text === ')') depth--;
    if (depth === 0 && t.text === ',') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out;
}

/**
 * Parses `ALTER TABLE t clause, clause ...`, `CREATE [UNIQUE] INDEX i ON t (...)` or
 * `DROP INDEX i ON t` into clauses; undefined for anything else (or an ALTER with a leading
 * option such as ONLINE/IGNORE, which would change meaning when merged).
 */
export function parseAlter(sql: string): ParsedAlter | undefined {
  const text = sql.trim().replace(/;\s*$/, '');
  const tokens = tokenize(text);
  const w = (i: number) => tokens[i]?.word ?? '';
  const tableAt = (i: number): { tableText: string; table: string; next: number } | undefined => {
    const t = tokens[i];
    if (!t?.ident || tokens[i + 1]?.text === '.') return undefined;
    return { tableText: t.text, table: t.ident, next: i + 1 };
  };
  if (w(0) === 'ALTER' && w(1) === 'TABLE') {
    const t = tableAt(2);
    if (!t) return undefined;
    const rest = tokens.slice(t.next);
    if (rest.length === 0) return undefined;
    const clauses = splitTopLevel(rest).map((ts) => ({
      text: ts.length ? text.slice(ts[0]!.start, ts[ts.length - 1]!.end) : '',
      effect: clauseEffect(ts),
    }));
    return { tableText: t.tableText, table: t.table, clauses };
  }
  if (w(0) === 'CREATE' && (w(1) === 'INDEX' || (['UNIQUE', 'FULLTEXT', 'SPATIAL'].includes(w(1)) && w(2) === 'INDEX'))) {
    const kind = w(1) === 'INDEX' ? '' : `${w(1)} `;
    const n = w(1) === 'INDEX' ? 2 : 3;
    const name = tokens[n];
    if (!name?.ident || w(n + 1) !== 'ON') return undefined;
    const t = tableAt(n + 2);
    if (!t || tokens[t.next]?.text !== '(') return undefined;
    const cols = parenNames(tokens, t.next);
    if (!cols || cols.end !== tokens.length - 1) return undefined;
    const clause = `ADD ${kind}INDEX ${name.text} ${text.slice(tokens[t.next]!.start)}`;
    return {
      tableText: t.tableText,
      table: t.table,
      clauses: [{ text: clause, effect: { def: [idx(name.ident)], use: cols.names.map(col) } }],
    };
  }
  if (w(0) === 'DROP' && w(1) === 'INDEX' && w(3) === 'ON' && tokens.length === 5) {
    const name = tokens[2];
    const t = tableAt(4);
    if (!name?.ident || !t) return undefined;
    return { tableText: t.tableText, table: t.table, clauses: [{ text: `DROP INDEX ${name.text}`, effect: { def: [idx(name.ident)], use: [] } }] };
  }
  return undefined;
}

/** True when `next`'s clauses can join a group that already holds `group`'s clauses. */
function canJoin(group: AlterClause[], next: AlterClause[]): boolean {
  const touched = new Set<string>();
  // Names dropped, modified or renamed in the group: a later use would resolve against the table
  // as it was before the single ALTER, not after the earlier clause. Added names may be used.
  const changed = new Set<string>();
  for (const c of group) {
    if (!c.effect) return false;
    const adds = /^ADD\b/i.test(c.text);
    for (const n of c.effect.def) {
      touched.add(n);
      if (!adds) changed.add(n);
    }
    for (const n of c.effect.use) touched.add(n);
  }
  for (const c of next) {
    if (!c.effect) return false;
    for (const n of c.effect.def) if (touched.has(n)) return false;
    for (const n of c.effect.use) if (changed.has(n)) return false;
  }
  return true;
}

function render(first: ParsedAlter, clauses: AlterClause[]): string {
  return `ALTER TABLE ${first.tableText} ${clauses.map((c) => c.text).join(', ')}`;
}

/**
 * Merges runs of mergeable statements. Statements that are not merged are returned exactly as
 * given; a merged run is one `ALTER TABLE` with the clauses in their original order.
 */
export function mergeAlters(statements: readonly string[]): string[] {
  const out: string[] = [];
  let run: { first: ParsedAlter; clauses: AlterClause[]; originals: string[] } | undefined;
  const flush = () => {
    if (!run) return;
    out.push(run.originals.length === 1 ? run.originals[0]! : render(run.first, run.clauses));
    run = undefined;
  };
  for (const s of statements) {
    const p = parseAlter(s);
    if (p && run && p.table === run.first.table && canJoin(run.clauses, p.clauses)) {
      run.clauses.push(...p.clauses);
      run.originals.push(s);
      continue;
    }
    flush();
    if (p && p.clauses.every((c) => c.effect)) run = { first: p, clauses: [...p.clauses], originals: [s] };
    else out.push(s);
  }
  flush();
  return out;
}

function combineProbes(steps: DdlStep[]): string | undefined {
  const probes = steps.map((s) => s.appliedWhen);
  if (probes.some((p) => !p)) return undefined;
  if (probes.length === 1) return probes[0];
  return `SELECT 1 FROM DUAL WHERE ${probes.map((p) => `EXISTS (${p!.trim().replace(/;\s*$/, '')})`).join(' AND ')}`;
}

function combine(steps: DdlStep[], statements: string[]): DdlStep {
  const first = steps[0]!;
  const step: DdlStep = {
    kind: 'ddl',
    id: steps.map((s) => s.id).join('+'),
    title: steps.map((s) => s.title).join('; '),
    table: first.table,
    statements,
  };
  const migrations = [...new Set(steps.map((s) => s.migration).filter((m): m is string => !!m))];
  if (migrations.length) step.migration = migrations.join(', ');
  const probe = combineProbes(steps);
  if (probe) step.appliedWhen = probe;
  return step;
}

/**
 * Merges consecutive DDL steps on the same table whose ALTERs merge into fewer statements (the
 * merged step's id joins the ids with `+`, its `appliedWhen` requires every original probe).
 * Within a single step, consecutive ALTERs are merged too. Data and SQL steps are never crossed.
 */
export function mergeDdlSteps(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  let group: DdlStep[] = [];
  let merged: string[] = [];
  const flush = () => {
    if (group.length) out.push(group.length === 1 && merged.length === group[0]!.statements.length ? group[0]! : combine(group, merged));
    group = [];
    merged = [];
  };
  for (const s of steps) {
    if (s.kind !== 'ddl') {
      flush();
      out.push(s);
      continue;
    }
    const own = mergeAlters(s.statements);
    if (group.length && s.table === group[0]!.table) {
      const together = mergeAlters([...merged, ...own]);
      if (together.length < merged.length + own.length) {
        group.push(s);
        merged = together;
        continue;
      }
    }
    flush();
    group = [s];
    merged = own;
  }
  flush();
  return out;
}
