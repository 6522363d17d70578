/**
 * Classifies a dump statement (what it does and which table it touches) from its first bytes only,
 * so that a multi-megabyte INSERT is never decoded to classify it.
 *
 * Executable comments (`/*!50003 CREATE*\/ /*!50017 DEFINER=...*\/ /*!50003 TRIGGER ...`) are read
 * as code, because that is how a server of the dump's vintage reads them. An executable comment for
 * version 999999 or above (MariaDB's `/*M!999999\- enable the sandbox mode *\/`) targets no server
 * and is skipped like an ordinary comment.
 */

export type StatementKindName =
  | 'create-table'
  | 'insert'
  | 'drop-table'
  | 'drop-view'
  | 'lock'
  | 'unlock'
  | 'alter-table'
  | 'set'
  | 'create-view'
  | 'create-trigger'
  | 'create-routine'
  | 'create-event'
  | 'use'
  | 'create-database'
  | 'comment-only'
  | 'other';

export interface StatementKind {
  kind: StatementKindName;
  /**
   * Unquoted table name: the target of create-table, insert (also REPLACE), drop-table, lock (the
   * first table), alter-table; the view for create-view/drop-view; the table a trigger is ON.
   */
  table?: string;
  /** The database when the table is qualified (`db`.`t`), or the database of use/create-database. */
  database?: string;
  /** The object's own name for create-trigger, create-routine and create-event. */
  name?: string;
}

/** How much of a statement is read; enough for a long DEFINER clause before the object name. */
export const CLASSIFY_HEAD_BYTES = 1024;

/** Executable comments for this version or later are never executed by any real server. */
const NEVER_VERSION = 999999;

type Token =
  | { t: 'word'; v: string; raw: string } // unquoted word: v upper-cased, raw as written
  | { t: 'ident'; v: string } // `quoted` or "quoted" identifier, unescaped
  | { t: 'string' }
  | { t: 'punct'; v: string };

export function classifyStatement(sql: Uint8Array): StatementKind {
  const toks = tokenize(sql.subarray(0, CLASSIFY_HEAD_BYTES));
  if (toks.length === 0) return { kind: 'comment-only' };
  const r = new Reader(toks);
  const verb = r.word();
  switch (verb) {
    case 'INSERT':
    case 'REPLACE': {
      r.skipWords('LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE');
      r.skipWords('INTO');
      return withName('insert', r.name());
    }
    case 'CREATE':
      return classifyCreate(r);
    case 'DROP': {
      r.skipWords('TEMPORARY');
      const what = r.word();
      if (what !== 'TABLE' && what !== 'VIEW') return { kind: 'other' };
      r.skipIfExists();
      return withName(what === 'TABLE' ? 'drop-table' : 'drop-view', r.name());
    }
    case 'LOCK':
      if (!r.skipWords('TABLES', 'TABLE')) return { kind: 'other' };
      return withName('lock', r.name());
    case 'UNLOCK':
      return { kind: 'unlock' };
    case 'ALTER': {
      r.skipWords('ONLINE', 'IGNORE');
      if (r.word() !== 'TABLE') return { kind: 'other' };
      return withName('alter-table', r.name());
    }
    case 'SET':
      return { kind: 'set' };
    case 'USE': {
      const db = r.ident();
      return db === undefined ? { kind: 'use' } : { kind: 'use', database: db };
    }
    default:
      return { kind: 'other' };
  }
}

function classifyCreate(r: Reader): StatementKind {
  // Skip the modifiers that may precede the object type: OR REPLACE, TEMPORARY, ALGORITHM=...,
  // DEFINER=user@host, SQL SECURITY ..., AGGREGATE.
  for (let guard = 0; guard < 32 && !r.done(); guard++) {
    const w = r.word();
    switch (w) {
      case 'TABLE': {
        r.skipIfExists();
        return withName('create-table', r.name());
      }
      case 'VIEW':
        return withName('create-view', r.name());
      case 'DATABASE':
      case 'SCHEMA': {
        r.skipIfExists();
        const db = r.ident();
        return db === undefined ? { kind: 'create-database' } : { kind: 'create-database', database: db };
      }
      case 'TRIGGER': {
        r.skipIfExists();
        const trigger = r.name();
        // BEFORE|AFTER INSERT|UPDATE|DELETE ON tbl
        for (let g = 0; g < 8 && !r.done(); g++) {
          if (r.word() === 'ON') {
            const on = withName('create-trigger', r.name());
            if (trigger !== undefined) on.name = trigger.name;
            return on;
          }
        }
        return trigger === undefined ? { kind: 'create-trigger' } : { kind: 'create-trigger', name: trigger.name };
      }
      case 'PROCEDURE':
      case 'FUNCTION':
      case 'EVENT': {
        r.skipIfExists();
        const obj = r.name();
        const kind = w === 'EVENT' ? 'create-event' : 'create-routine';
        return obj === undefined ? { kind } : { kind, name: obj.name };
      }
      case undefined:
        // A quoted identifier or string in a DEFINER clause, or punctuation.
        r.skip();
        break;
      default:
        break;
    }
  }
  return { kind: 'other' };
}

interface QualifiedName {
  name: string;
  database?: string;
}

function withName(kind: StatementKindName, n: QualifiedName | undefined): StatementKind {
  const k: StatementKind = { kind };
  if (n === undefined) return k;
  k.table = n.name;
  if (n.database !== undefined) k.database = n.database;
  return k;
}

class Reader {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }

  skip(): void {
    this.i++;
  }

  /** The next token if it is an unquoted word (consumed), else undefined (not consumed). */
  word(): string | undefined {
    const t = this.toks[this.i];
    if (t?.t !== 'word') return undefined;
    this.i++;
    return t.v;
  }

  /** Consumes the next token if it is one of `words`. */
  skipWords(...words: string[]): boolean {
    const t = this.toks[this.i];
    if (t?.t === 'word' && words.includes(t.v)) {
      this.i++;
      return true;
    }
    return false;
  }

  skipIfExists(): void {
    const [a, b, c] = [this.toks[this.i], this.toks[this.i + 1], this.toks[this.i + 2]];
    if (a?.t === 'word' && a.v === 'IF') {
      if (b?.t === 'word' && b.v === 'NOT' && c?.t === 'word' && c.v === 'EXISTS') this.i += 3;
      else if (b?.t === 'word' && b.v === 'EXISTS') this.i += 2;
    }
  }

  /** An identifier, quoted or not; unquoted words are returned as written, not upper-cased. */
  ident(): string | undefined {
    const t = this.toks[this.i];
    if (t?.t === 'ident') {
      this.i++;
      return t.v;
    }
    if (t?.t === 'word') {
      this.i++;
      return t.raw;
    }
    return undefined;
  }

  /** `name` or `db`.`name`. */
  name(): QualifiedName | undefined {
    const first = this.ident();
    if (first === undefined) return undefined;
    const dot = this.toks[this.i];
    if (dot?.t === 'punct' && dot.v === '.') {
      this.i++;
      const second = this.ident();
      if (second !== undefined) return { name: second, database: first };
    }
    return { name: first };
  }
}

function isWordByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

/** Tokens of `head`, with comments removed and executable-comment markers dropped. */
function tokenize(head: Uint8Array): Token[] {
  const toks: Token[] = [];
  const n = head.length;
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  let i = 0;
  while (i < n) {
    const c = head[i]!;
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      i++;
    } else if (c === 0x23 || (c === 0x2d && head[i + 1] === 0x2d && (i + 2 >= n || isCtlOrSpace(head[i + 2]!)))) {
      const nl = buf.indexOf(0x0a, i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === 0x2f && head[i + 1] === 0x2a) {
      let p = i + 2;
      let exec = false;
      if (head[p] === 0x21) {
        exec = true;
        p++;
      } else if (head[p] === 0x4d && head[p + 1] === 0x21) {
        exec = true;
        p += 2;
      }
      if (exec) {
        let v = 0;
        let digits = 0;
        while (p < n && head[p]! >= 0x30 && head[p]! <= 0x39 && digits < 6) {
          v = v * 10 + (head[p]! - 0x30);
          p++;
          digits++;
        }
        if (digits > 0 && v >= NEVER_VERSION) exec = false;
      }
      if (exec) {
        i = p;
      } else {
        const end = buf.indexOf('*/', i + 2);
        i = end === -1 ? n : end + 2;
      }
    } else if (c === 0x2a && head[i + 1] === 0x2f) {
      // The end of an executable comment.
      i += 2;
    } else if (c === 0x60 || c === 0x22) {
      const [v, next] = readQuoted(buf, i, c);
      toks.push({ t: 'ident', v });
      i = next;
    } else if (c === 0x27) {
      const [, next] = readQuoted(buf, i, c);
      toks.push({ t: 'string' });
      i = next;
    } else if (isWordByte(c)) {
      let e = i + 1;
      while (e < n && isWordByte(head[e]!)) e++;
      const raw = buf.toString('utf8', i, e);
      toks.push({ t: 'word', v: raw.toUpperCase(), raw });
      i = e;
    } else {
      toks.push({ t: 'punct', v: String.fromCharCode(c) });
      i++;
    }
  }
  return toks;
}

function isCtlOrSpace(c: number): boolean {
  return c <= 0x20;
}

/** Reads a quoted token starting at `i`; doubled quotes (and, for strings, backslashes) escape. */
function readQuoted(buf: Buffer, i: number, q: number): [string, number] {
  const n = buf.length;
  const parts: Buffer[] = [];
  let start = i + 1;
  let p = start;
  while (p < n) {
    const c = buf[p]!;
    if (c === 0x5c && q !== 0x60) {
      p += 2;
    } else if (c === q) {
      if (buf[p + 1] === q) {
        parts.push(buf.subarray(start, p + 1));
        p += 2;
        start = p;
      } else {
        parts.push(buf.subarray(start, p));
        return [Buffer.concat(parts).toString('utf8'), p + 1];
      }
    } else p++;
  }
  parts.push(buf.subarray(start, Math.min(p, n)));
  return [Buffer.concat(parts).toString('utf8'), n];
}
