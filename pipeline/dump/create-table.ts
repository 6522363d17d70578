/**
 * Splits a dump's CREATE TABLE into the CREATE to load rows into and the secondary indexes and
 * foreign keys to add once the rows are in. Pure text work: no connection.
 *
 * Inserting into a table with few indexes and then building each remaining index with one sorted
 * pass is much faster than maintaining every index row by row (myloader's --optimize-keys does the
 * same). What is deferred, and why the rest is not:
 *
 * - Plain `KEY`/`INDEX` definitions are deferred. They never change what an INSERT does.
 * - `PRIMARY KEY` stays: it is InnoDB's clustered index; building it later rebuilds the table.
 * - `UNIQUE` keys stay: `INSERT IGNORE`, `REPLACE` and `ON DUPLICATE KEY UPDATE` (mysqldump
 *   `--insert-ignore`/`--replace`) behave differently without them; a duplicate must fail at the
 *   statement that brings it, where the error can name its byte offset; and without a primary key
 *   InnoDB clusters the table on its first NOT NULL unique key, which a later ADD cannot restore.
 * - `FULLTEXT`/`SPATIAL` stay: InnoDB adds only one FULLTEXT index per ALTER, and adding the first
 *   one rebuilds the table anyway.
 * - The first key on an AUTO_INCREMENT column stays when no kept key starts with that column:
 *   the server refuses an auto-increment column that is not the first column of some key.
 * - `FOREIGN KEY` constraints are deferred to the very end, after every table's indexes are back:
 *   InnoDB creates an index of its own for a constraint that has none (it would then show up in
 *   SHOW CREATE TABLE) and checks that the referenced table has a usable index.
 * - Only `ENGINE=InnoDB` tables are split: for MyISAM/Aria, ADD KEY copies the whole table.
 *
 * The deferred clauses are re-added in their original order, so the server's key ordering (PRIMARY,
 * UNIQUE, then the rest in definition order) gives a SHOW CREATE TABLE identical to loading the
 * CREATE as written. Strings are latin1-decoded dump bytes (one char per byte), and text that is
 * kept is copied verbatim, so any bytes survive.
 */

/** A clause removed from the CREATE: its exact text, e.g. ``KEY `by_name` (`name`)``. */
export interface DeferredClause {
  kind: 'key' | 'foreign-key';
  /** The key or constraint name when it has one (unquoted). */
  name: string | undefined;
  text: string;
}

export interface SplitCreateTable {
  /** The CREATE TABLE to run: the original when nothing is deferred. */
  create: string;
  /** Secondary keys to add after the rows are in, in their original order. */
  keys: DeferredClause[];
  /** Foreign keys to add after all tables have their keys, in their original order. */
  foreignKeys: DeferredClause[];
}

type ElementKind = 'column' | 'primary' | 'unique' | 'key' | 'fulltext' | 'foreign-key' | 'other';

interface Element {
  /** Raw text between the separating commas, leading whitespace included. */
  raw: string;
  kind: ElementKind;
  name: string | undefined;
  /** First column of a key, or the column's own name. */
  firstColumn: string | undefined;
  autoIncrement: boolean;
}

/**
 * Splits `create` (one CREATE TABLE statement, without its delimiter). Statements it does not
 * understand (`CREATE TABLE ... LIKE`, `... AS SELECT`, non-InnoDB, unbalanced text) come back
 * whole, with nothing deferred: slower to load, never wrong.
 */
export function splitCreateTable(create: string): SplitCreateTable {
  const whole: SplitCreateTable = { create, keys: [], foreignKeys: [] };
  const open = findBodyOpen(create);
  if (open < 0) return whole;
  const parts = splitBody(create, open + 1);
  if (!parts) return whole;
  const tail = create.slice(parts.close);
  if (!/\bENGINE\s*=\s*InnoDB\b/i.test(stripQuoted(tail))) return whole;
  if (/\bSELECT\b/i.test(stripQuoted(tail))) return whole;

  const elements = parts.elements.map(classify);
  const deferred = new Set<Element>();
  for (const e of elements) if (e.kind === 'key' || e.kind === 'foreign-key') deferred.add(e);

  // Keep a key for each AUTO_INCREMENT column that no kept key starts with.
  for (const col of elements.filter((e) => e.kind === 'column' && e.autoIncrement)) {
    const name = col.firstColumn;
    const covered = elements.some(
      (e) => (e.kind === 'primary' || e.kind === 'unique' || e.kind === 'fulltext') && e.firstColumn === name,
    );
    if (covered) continue;
    const key = elements.find((e) => e.kind === 'key' && e.firstColumn === name);
    if (key) deferred.delete(key);
  }
  if (deferred.size === 0) return whole;

  const kept = elements.filter((e) => !deferred.has(e));
  // The whitespace before `)` belongs to the last element; keep it whichever element is last now.
  const lastRaw = elements[elements.length - 1]?.raw ?? '';
  const trailing = /\s*$/.exec(lastRaw)?.[0] ?? '';
  const body = kept.map((e) => e.raw).join(',').replace(/\s*$/, '') + trailing;
  const rebuilt = create.slice(0, open + 1) + body + tail;
  const clause = (e: Element): DeferredClause => ({
    kind: e.kind === 'foreign-key' ? 'foreign-key' : 'key',
    name: e.name,
    text: e.raw.trim(),
  });
  return {
    create: rebuilt,
    keys: elements.filter((e) => deferred.has(e) && e.kind === 'key').map(clause),
    foreignKeys: elements.filter((e) => deferred.has(e) && e.kind === 'foreign-key').map(clause),
  };
}

/** `ALTER TABLE t ADD <clause>, ADD <clause>` or undefined when there is nothing to add. */
export function addClausesSql(quotedTable: string, clauses: readonly DeferredClause[]): string | undefined {
  if (clauses.length === 0) return undefined;
  return `ALTER TABLE ${quotedTable} ${clauses.map((c) => `ADD ${c.text}`).join(', ')}`;
}

/** Index of the `(` that opens the column list, or -1. */
function findBodyOpen(s: string): number {
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === '(') return i;
    const skipped = skipNonCode(s, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    if (c === "'" || c === '"') return -1; // a string before the body: not a plain CREATE TABLE
    i++;
  }
  return -1;
}

/**
 * Skips a quoted identifier, a string or a comment starting at `i`; returns `i` when none starts
 * there. Executable comments are skipped too: mysqldump puts none inside a column list's structure
 * (only whole attributes such as `/*M!100301 COMPRESSED*\/`), and their parentheses balance.
 */
function skipNonCode(s: string, i: number): number {
  const c = s[i];
  const n = s.length;
  if (c === '`') {
    let p = i + 1;
    for (;;) {
      const e = s.indexOf('`', p);
      if (e < 0) return n;
      if (s[e + 1] === '`') p = e + 2;
      else return e + 1;
    }
  }
  if (c === "'" || c === '"') {
    let p = i + 1;
    while (p < n) {
      const d = s[p];
      if (d === '\\') p += 2;
      else if (d === c) {
        if (s[p + 1] === c) p += 2;
        else return p + 1;
      } else p++;
    }
    return n;
  }
  if (c === '/' && s[i + 1] === '*') {
    const e = s.indexOf('*/', i + 2);
    return e < 0 ? n : e + 2;
  }
  if (c === '#' || (c === '-' && s[i + 1] === '-' && /[\s]/.test(s[i + 2] ?? ' '))) {
    const e = s.indexOf('\n', i);
    return e < 0 ? n : e + 1;
  }
  return i;
}

/** The top-level elements of the body starting after `(`, and the index of the closing `)`. */
function splitBody(s: string, from: number): { elements: string[]; close: number } | undefined {
  const elements: string[] = [];
  let depth = 0;
  let start = from;
  let i = from;
  const n = s.length;
  while (i < n) {
    const skipped = skipNonCode(s, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const c = s[i]!;
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) {
        elements.push(s.slice(start, i));
        return { elements, close: i };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      elements.push(s.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  return undefined;
}

/** The text with strings, quoted identifiers and comments blanked out, for keyword tests. */
function stripQuoted(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const j = skipNonCode(s, i);
    if (j !== i) {
      out += ' ';
      i = j;
    } else {
      out += s[i];
      i++;
    }
  }
  return out;
}

const IDENT = /^\s*(`(?:[^`]|``)*`|[A-Za-z0-9_$\u0080-\u00ff]+)/;

function unquote(id: string): string {
  return id.startsWith('`') ? id.slice(1, -1).replace(/``/g, '`') : id;
}

/** Reads an identifier at the start of `s`; returns it unquoted and the rest. */
function readIdent(s: string): [string | undefined, string] {
  const m = IDENT.exec(s);
  if (!m) return [undefined, s];
  return [unquote(m[1]!), s.slice(m[0].length)];
}

/** First column inside the first parenthesised list of `s`. */
function firstColumnOf(s: string): string | undefined {
  const p = s.indexOf('(');
  if (p < 0) return undefined;
  return readIdent(s.slice(p + 1))[0];
}

function classify(raw: string): Element {
  const text = stripLeading(raw);
  const head = text.slice(0, 40).toUpperCase();
  const el = (kind: ElementKind, name: string | undefined, firstColumn: string | undefined, autoIncrement = false): Element => ({
    raw,
    kind,
    name,
    firstColumn,
    autoIncrement,
  });
  if (text.startsWith('`')) {
    const [name] = readIdent(text);
    return el('column', name, name, /\bAUTO_INCREMENT\b/i.test(stripQuoted(text)));
  }
  if (/^PRIMARY\s+KEY\b/.test(head)) return el('primary', 'PRIMARY', firstColumnOf(text));
  if (/^UNIQUE\b/.test(head)) {
    const rest = text.replace(/^UNIQUE(\s+(KEY|INDEX))?/i, '');
    return el('unique', nameBeforeParen(rest), firstColumnOf(text));
  }
  if (/^(FULLTEXT|SPATIAL)\b/.test(head)) return el('fulltext', undefined, firstColumnOf(text));
  if (/^(KEY|INDEX)\b/.test(head)) {
    const rest = text.replace(/^(KEY|INDEX)/i, '');
    return el('key', nameBeforeParen(rest), firstColumnOf(text));
  }
  if (/^FOREIGN\s+KEY\b/.test(head)) return el('foreign-key', undefined, firstColumnOf(text));
  if (/^CONSTRAINT\b/.test(head)) {
    const [name, rest] = readIdent(text.slice('CONSTRAINT'.length));
    const r = stripLeading(name === undefined ? text.slice('CONSTRAINT'.length) : rest).toUpperCase();
    if (/^FOREIGN\s+KEY\b/.test(r)) return el('foreign-key', name, firstColumnOf(text));
    if (/^PRIMARY\s+KEY\b/.test(r)) return el('primary', 'PRIMARY', firstColumnOf(text));
    if (/^UNIQUE\b/.test(r)) return el('unique', name, firstColumnOf(text));
    return el('other', name, undefined);
  }
  if (/^(CHECK|PERIOD)\b/.test(head)) return el('other', undefined, undefined);
  // An unquoted column name (not what mysqldump writes, but valid SQL).
  const [name] = readIdent(text);
  return el('column', name, name, /\bAUTO_INCREMENT\b/i.test(stripQuoted(text)));
}

function nameBeforeParen(rest: string): string | undefined {
  const t = stripLeading(rest);
  if (t.startsWith('(')) return undefined;
  return readIdent(t)[0];
}

function stripLeading(s: string): string {
  let i = 0;
  for (;;) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    const c = s[i];
    if ((c === '/' && s[i + 1] === '*' && s[i + 2] !== '!') || c === '#' || (c === '-' && s[i + 1] === '-')) {
      i = skipNonCode(s, i);
      continue;
    }
    return s.slice(i);
  }
}
