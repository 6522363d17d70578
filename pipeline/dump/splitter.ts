/**
 * Streaming, byte-level statement splitter for mysqldump / mariadb-dump output.
 *
 * It splits where the `mysql` command-line client would split, so that what drydock sends to the
 * server is what `mysql < dump.sql` would have sent. Behaviour checked against the MariaDB 10.11
 * client (statements captured through the server's general log):
 *
 * - `'...'` and `"..."` strings honour backslash escapes and doubled quotes; `` `...` `` identifiers
 *   honour doubled backticks only (a backslash does not escape inside backticks).
 * - `-- ` (two dashes then whitespace or end of input), `#` and `/* ... *\/` are comments: a
 *   delimiter inside them does not end a statement.
 * - `/*! ... *\/` and `/*M! ... *\/` executable comments are *code* to the client: quotes inside
 *   are tracked and a delimiter inside ends the statement (the client really sends
 *   `/*!40101 SET @a=1` for `/*!40101 SET @a=1; SET @b=2 *\/;`, and the server rejects it).
 * - `DELIMITER x` at the start of a line, when no statement text is pending, is a client command:
 *   it changes the delimiter and is not a statement. Elsewhere it is ordinary text.
 * - A backslash outside strings starts a one-letter client command (`\g`, `\d`, `\-` ...). Only the
 *   pairing is mirrored: the backslash and the next byte are kept as statement text and never end
 *   a statement or open a string. mysqldump writes none of these except MariaDB's sandbox line
 *   `/*M!999999\- enable the sandbox mode *\/`, which the client (like this splitter) prefixes to
 *   the next statement, where the server ignores it as a comment for a future version.
 * - Empty statements (only whitespace/comments before a delimiter) are skipped; a final statement
 *   without a delimiter is still returned.
 * - The client's comment quirks are mirrored too: inside a comment it reads '/*' as a pair, so
 *   '/*\/' does not close it; and after a '/*!' on the same line, the next '*\/' inside a comment
 *   does not close it either.
 *
 * What differs from the client: the statement text keeps the comments inside a statement (the
 * client strips them unless run with --comments; the server ignores them), and keeps the `\-` of
 * the sandbox line. Not mirrored, and never written by mysqldump: a `DELIMITER` line in the middle
 * of a statement or after another statement on the same line is statement text here; `\g`, `\G`
 * and `\d` are not executed. Multi-byte charsets whose trail bytes can be ASCII (sjis, gbk, big5)
 * are not supported; utf8, utf8mb4, latin1 and binary data are.
 */

import { DumpError } from '../errors.js';
import { statementPool, type BufferPool } from './buffer-pool.js';
import { CLASSIFY_HEAD_BYTES, classifyStatement } from './statement-kind.js';

/** One SQL statement as the mysql client would send it. */
export interface Statement {
  /**
   * The statement's bytes, without the terminating delimiter, without leading whitespace and
   * comments, and without trailing whitespace (it may end with a comment). A big statement read
   * whole within one input chunk is a view of that chunk; any other is a copy of its own.
   */
  sql: Buffer;
  /**
   * Gives the statement's memory back for reuse (see buffer-pool.ts): its pooled buffer, or its
   * hold on the pooled input chunk it is a view of. Call it once nothing reads `sql` any more (for
   * an INSERT: after the server executed it), or never.
   */
  release(): void;
  /** Byte offset of the statement's first byte in the (decompressed) input. */
  offset: number;
  /** 1-based line number of the statement's first byte. */
  line: number;
  /** The delimiter that ended it (';' normally, or e.g. ';;' inside DELIMITER blocks); '' at end of input. */
  delimiter: string;
}

export interface SplitOptions {
  /** Input name, for error messages. */
  file: string;
  /** Largest statement accepted, in bytes; default {@link DEFAULT_MAX_STATEMENT_BYTES}. */
  maxStatementBytes?: number;
  /**
   * Where statement buffers come from; default the shared {@link statementPool}. Input chunks this
   * pool lent (openSqlSource's `pool`) are given back to it once the splitter and every statement
   * viewing them are done.
   */
  pool?: BufferPool;
}

/** 1 GiB: the largest packet a MySQL/MariaDB server accepts (max_allowed_packet's ceiling). */
export const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024 * 1024;

const EXCERPT_BYTES = 200;
/** The client keeps at most 15 bytes of a delimiter (a 16-byte C buffer). */
const MAX_DELIMITER_BYTES = 15;

const NORMAL = 0;
const SINGLE = 1;
const DOUBLE = 2;
const BACKTICK = 3;
const BLOCK_COMMENT = 4;
const LINE_COMMENT = 5;

/** nextNL not yet looked for in this buffer. */
const UNKNOWN = -2;

const BACKSLASH = 0x5c;
const EMPTY = Buffer.alloc(0);
const noRelease = (): void => {};
const NL = 0x0a;

/** closingQuote: the string does not close in this buffer. */
const OPEN = -1;
/** closingQuote: the string does not close, and the buffer ends with an unpaired backslash. */
const OPEN_ESCAPED = -2;

/**
 * Index of the quote `q` that closes a string whose content starts at `from` (not inside an
 * escape), or OPEN / OPEN_ESCAPED. Most of a data dump is string content, so this jumps from quote
 * to quote with indexOf (memchr) instead of looking at every byte: a quote is escaped exactly when
 * an odd number of backslashes precedes it, counting back no further than `from`.
 */
function closingQuote(b: Buffer, from: number, n: number, q: number): number {
  let p = from;
  for (;;) {
    const k = b.indexOf(q, p);
    if (k === -1) break;
    let m = k;
    while (m > from && b[m - 1] === BACKSLASH) m--;
    if (((k - m) & 1) === 0) return k;
    p = k + 1;
  }
  let m = n;
  while (m > from && b[m - 1] === BACKSLASH) m--;
  return ((n - m) & 1) === 0 ? OPEN : OPEN_ESCAPED;
}

function isSpace(c: number): boolean {
  // The client's my_isspace: space, \t \n \v \f \r.
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

const HINT_TRUNCATED =
  're-create the dump, or check that the copy finished (compare its size with the original); ' +
  'a dump cut short ends in the middle of a statement';

/**
 * Splits a dump into statements. Holds at most one statement plus one input chunk, and the chunks
 * that statements not yet released are views of. `source` must not change a chunk's bytes after
 * yielding it (a stream's or a file's chunks never change; pooled ones change only after they are
 * given back). A statement of at least `pool.minBytes` read whole within one chunk is a view of it
 * (the hot path: no copy of a megabyte INSERT); the rest are copies.
 */
export async function* splitStatements(
  source: AsyncIterable<Buffer>,
  opts: SplitOptions,
): AsyncGenerator<Statement> {
  const s = new Splitter(opts);
  const pool = opts.pool ?? statementPool;
  let tail: Buffer | undefined;
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    let buf = chunk;
    if (tail !== undefined) {
      buf = Buffer.concat([tail, chunk]);
      pool.releaseViewed(chunk); // copied into buf: the chunk itself is no longer read
    }
    const hold = new ChunkHold(buf, pool);
    s.hold = hold;
    const t = s.feed(buf, false);
    s.hold = undefined;
    // Copied: the rest is re-fed with the next chunk, and this one may go back to the pool.
    tail = t < buf.length ? Buffer.from(buf.subarray(t)) : undefined;
    hold.drop();
    if (s.out.length > 0) {
      const done = s.out;
      s.out = [];
      yield* done;
    }
  }
  if (tail !== undefined) s.feed(tail, true);
  s.finish();
  yield* s.out;
}

/**
 * An input chunk that statements are views of: given back to the pool (when the pool lent it)
 * once the splitter has moved past it and every view has been released.
 */
class ChunkHold {
  /** The splitter's own hold, while it reads the chunk, plus one per unreleased view. */
  private holds = 1;
  constructor(
    private readonly chunk: Buffer,
    private readonly pool: BufferPool,
  ) {}

  /** Takes a hold for one view; the function returned gives it back (once, however often called). */
  retain(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.drop();
    };
  }

  drop(): void {
    if (--this.holds === 0) this.pool.releaseViewed(this.chunk);
  }
}

class Splitter {
  out: Statement[] = [];

  private readonly file: string;
  private readonly max: number;

  private state = NORMAL;
  /** Statement text has started (anything but whitespace and comments since the last delimiter). */
  private inStmt = false;
  /** Only whitespace since the last newline, outside statements: where DELIMITER is recognised. */
  private atLineStart = true;
  /** Inside `/*! ... *\/`; tracked only to report a dump that ends inside one. */
  private inExec = false;
  /**
   * The line of the last '/*!' seen outside strings, until a '*\/' clears it; 0 if none. The mysql
   * client keeps this flag per line: while it is set, a '*\/' inside a comment does not end the
   * comment (so `/* a /*! b *\/ c *\/` is one comment to the client, though not to the server).
   */
  private ssLine = 0;
  /** Bytes to skip at the start of the next chunk: the byte after a backslash that ended the last one. */
  private skip = 0;

  private delim: Buffer = Buffer.from(';');
  private delimStr = ';';
  /** Bytes that need a look in NORMAL state inside a statement; 0 = plain statement text. */
  private special = new Uint8Array(256);

  /**
   * The statement read so far, when it began in an earlier chunk: its bytes are copied here at the
   * end of each chunk (a pooled buffer, grown by doubling), since the chunk may then be reused.
   */
  private pending: Buffer | undefined;
  private pendingLen = 0;
  /** `pending` is a view of the chunk being read (see appendPendingOrOwn), not a buffer of its own. */
  private pendingIsView = false;
  /** The chunk being fed, when views of it may be taken. */
  hold: ChunkHold | undefined;
  private readonly pool: BufferPool;
  private stmtOffset = 0;
  private stmtLine = 1;
  /** Where a comment between statements began, to report one that never ends. */
  private commentOffset = 0;
  private commentLine = 1;

  /** Absolute offset of the current buffer's first byte. */
  private base = 0;
  /** Line number at `countedTo` in the current buffer. */
  private line = 1;
  private countedTo = 0;
  /** Index of the first newline at or after `countedTo` in the current buffer, -1 if none. */
  private nextNL = UNKNOWN;

  constructor(opts: SplitOptions) {
    this.file = opts.file;
    this.max = opts.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
    this.pool = opts.pool ?? statementPool;
    this.setDelimiter(this.delim);
  }

  private setDelimiter(d: Buffer): void {
    this.delim = d;
    this.delimStr = d.toString('latin1');
    const t = new Uint8Array(256);
    for (const c of '\'"`\\#-/*') t[c.charCodeAt(0)] = 1;
    t[d[0] ?? 0x3b] = 1;
    this.special = t;
  }

  /** Line number of `idx` in `buf`; indices must not go backwards within one buffer. */
  private lineAt(buf: Buffer, idx: number): number {
    let line = this.line;
    let p = this.nextNL === UNKNOWN ? buf.indexOf(NL, this.countedTo) : this.nextNL;
    while (p !== -1 && p < idx) {
      line++;
      p = buf.indexOf(NL, p + 1);
    }
    // Remembering the next newline keeps many statements on one long line from rescanning it.
    this.nextNL = p;
    this.line = line;
    this.countedTo = idx;
    return line;
  }

  /**
   * Scans `buf` from the start. Returns the index of the first byte it could not decide on without
   * seeing more input (the caller re-feeds those bytes with the next chunk), or buf.length.
   */
  feed(buf: Buffer, eof: boolean): number {
    const n = buf.length;
    const b = buf;
    let i = this.skip;
    this.skip = 0;
    let stmtStart = this.inStmt ? 0 : -1;
    let state = this.state;
    let tail = n;

    scan: while (i < n) {
      if (state === NORMAL) {
        if (!this.inStmt) {
          const c = b[i]!;
          if (c === NL) {
            this.atLineStart = true;
            i++;
            continue;
          }
          if (isSpace(c)) {
            i++;
            continue;
          }
          if (this.atLineStart && (c === 0x64 || c === 0x44) /* d D */) {
            const r = this.delimiterCommand(buf, i, n, eof);
            if (r === -1) {
              tail = i;
              break scan;
            }
            if (r >= 0) {
              // Leave the newline to the loop, so the next line starts a line.
              i = r;
              continue;
            }
          }
          if (c === this.delim[0]) {
            const m = this.matchDelimiter(b, i, n, eof);
            if (m < 0) {
              tail = i;
              break scan;
            }
            if (m === 1) {
              // An empty statement: the client skips it.
              i += this.delim.length;
              this.atLineStart = false;
              continue;
            }
          }
          if (c === 0x23 /* # */) {
            state = LINE_COMMENT;
            this.atLineStart = false;
            i++;
            continue;
          }
          if (c === 0x2d /* - */) {
            const k = this.dashComment(b, i, n, eof);
            if (k < 0) {
              tail = i;
              break scan;
            }
            if (k === 1) {
              state = LINE_COMMENT;
              this.atLineStart = false;
              i += 2;
              continue;
            }
          } else if (c === 0x2f /* / */) {
            const k = this.slashComment(b, i, n, eof);
            if (k < 0) {
              tail = i;
              break scan;
            }
            if (k === 1) {
              this.commentOffset = this.base + i;
              this.commentLine = this.lineAt(buf, i);
              state = BLOCK_COMMENT;
              this.atLineStart = false;
              i += 2;
              continue;
            }
          }
          this.inStmt = true;
          this.atLineStart = false;
          stmtStart = i;
          this.stmtOffset = this.base + i;
          this.stmtLine = this.lineAt(buf, i);
        }

        const special = this.special;
        const d0 = this.delim[0];
        let c = 0;
        // The hot path of a data dump: values and the strings between them, scanned here without
        // going round the state machine (unless a quote is the delimiter's first byte).
        for (;;) {
          while (i < n && special[b[i]!] === 0) i++;
          if (i >= n) break scan;
          c = b[i]!;
          if ((c !== 0x27 && c !== 0x22) || c === d0) break;
          const j = closingQuote(b, i + 1, n, c);
          if (j < 0) {
            state = c === 0x27 ? SINGLE : DOUBLE;
            if (j === OPEN_ESCAPED) this.skip = 1;
            i = n;
            break scan;
          }
          i = j + 1;
        }
        // The client's order: backslash, then the delimiter, then comments, then quotes.
        if (c === BACKSLASH) {
          i += 2;
          if (i > n) {
            if (eof) i = n;
            else this.skip = 1;
          }
          continue;
        }
        if (c === this.delim[0]) {
          const m = this.matchDelimiter(b, i, n, eof);
          if (m < 0) {
            tail = i;
            break;
          }
          if (m === 1) {
            this.emit(buf, stmtStart, i, this.delimStr);
            i += this.delim.length;
            stmtStart = -1;
            continue;
          }
        }
        if (c === 0x27) {
          state = SINGLE;
          i++;
        } else if (c === 0x22) {
          state = DOUBLE;
          i++;
        } else if (c === 0x60) {
          state = BACKTICK;
          i++;
        } else if (c === 0x23 /* # */) {
          state = LINE_COMMENT;
          i++;
        } else if (c === 0x2d /* - */) {
          const k = this.dashComment(b, i, n, eof);
          if (k < 0) {
            tail = i;
            break;
          }
          if (k === 1) {
            state = LINE_COMMENT;
            i += 2;
          } else i++;
        } else if (c === 0x2f /* / */) {
          const k = this.slashComment(b, i, n, eof);
          if (k < 0) {
            tail = i;
            break;
          }
          if (k === 1) {
            state = BLOCK_COMMENT;
            i += 2;
          } else if (k === 2) {
            this.inExec = true;
            if (b[i + 2] === 0x21) this.ssLine = this.lineAt(buf, i);
            i += b[i + 2] === 0x21 ? 3 : 4;
          } else i++;
        } else if (c === 0x2a /* * */) {
          // Only the '*': the '/' may begin a delimiter such as '//', which the client checks first.
          if (b[i + 1] === 0x2f) {
            this.inExec = false;
            this.ssLine = 0;
          }
          else if (i + 1 >= n && !eof && this.inExec) {
            tail = i;
            break;
          }
          i++;
        } else i++;
      } else if (state === SINGLE || state === DOUBLE) {
        const j = closingQuote(b, i, n, state === SINGLE ? 0x27 : 0x22);
        if (j < 0) {
          if (j === OPEN_ESCAPED) this.skip = 1;
          i = n;
          break;
        }
        // A doubled quote closes and reopens the string, which needs no look-ahead.
        state = NORMAL;
        i = j + 1;
      } else if (state === BACKTICK) {
        const j = b.indexOf(0x60, i);
        if (j === -1) {
          i = n;
          break;
        }
        state = NORMAL;
        i = j + 1;
      } else if (state === BLOCK_COMMENT) {
        let j = i;
        while (j < n && b[j] !== 0x2a && b[j] !== 0x2f) j++;
        if (j >= n) {
          i = n;
          break;
        }
        const c = b[j]!;
        const need = c === 0x2f && b[j + 1] === 0x2a ? 2 : 1;
        if (j + need >= n) {
          if (!eof) tail = j;
          i = n;
          break;
        }
        if (c === 0x2a && b[j + 1] === 0x2f) {
          if (this.ssLine !== 0 && this.lineAt(buf, j) === this.ssLine) {
            // The client's quirk: after '/*!' on this line, a '*/' closes that instead.
            this.ssLine = 0;
          } else state = NORMAL;
          i = j + 2;
        } else if (need === 2) {
          // The client re-reads '/*' inside a comment as a comment start, so in '/*/' the '*'
          // cannot close it; '/*!' it reads byte by byte.
          if (b[j + 2] === 0x21) {
            this.ssLine = this.lineAt(buf, j);
            i = j + 1;
          } else i = j + 2;
        } else i = j + 1;
      } else {
        // LINE_COMMENT: the newline itself is left to NORMAL.
        const j = b.indexOf(NL, i);
        if (j === -1) {
          i = n;
          break;
        }
        state = NORMAL;
        i = j;
      }
    }

    this.state = state;
    if (this.inStmt && stmtStart >= 0 && tail > stmtStart) this.appendPending(buf, stmtStart, tail);
    this.lineAt(buf, tail);
    this.base += tail;
    this.countedTo = 0;
    this.nextNL = UNKNOWN;
    return tail;
  }

  /** 1 match, 0 no match, -1 need more input. */
  private matchDelimiter(b: Buffer, i: number, n: number, eof: boolean): number {
    const d = this.delim;
    const len = d.length;
    if (len === 1) return 1;
    for (let k = 1; k < len; k++) {
      if (i + k >= n) return eof ? 0 : -1;
      if (b[i + k] !== d[k]) return 0;
    }
    return 1;
  }

  /** At '-': 1 if a `-- ` comment starts, 0 if not, -1 if more input is needed. */
  private dashComment(b: Buffer, i: number, n: number, eof: boolean): number {
    if (i + 1 >= n) return eof ? 0 : -1;
    if (b[i + 1] !== 0x2d) return 0;
    if (i + 2 >= n) return eof ? 1 : -1;
    return isSpace(b[i + 2]!) ? 1 : 0;
  }

  /** At '/': 1 a comment starts, 2 an executable comment, 0 neither, -1 more input is needed. */
  private slashComment(b: Buffer, i: number, n: number, eof: boolean): number {
    if (i + 1 >= n) return eof ? 0 : -1;
    if (b[i + 1] !== 0x2a) return 0;
    if (i + 2 >= n) return eof ? 1 : -1;
    const c = b[i + 2];
    if (c === 0x21) return 2;
    if (c !== 0x4d /* M */) return 1;
    if (i + 3 >= n) return eof ? 1 : -1;
    return b[i + 3] === 0x21 ? 2 : 1;
  }

  /**
   * At a line-initial 'd'. Returns the index of the line's end if this is a DELIMITER command
   * (and applies it), -2 if it is not one, -1 if more input is needed.
   */
  private delimiterCommand(buf: Buffer, i: number, n: number, eof: boolean): number {
    if (i + 9 >= n && !eof) return -1;
    if (i + 9 > n) return -2;
    if (buf.toString('latin1', i, i + 9).toLowerCase() !== 'delimiter') return -2;
    const after = i + 9 < n ? buf[i + 9]! : NL;
    if (!isSpace(after)) return -2;
    let end = buf.indexOf(NL, i + 9);
    if (end === -1) {
      if (!eof) return -1;
      end = n;
    }
    let p = i + 9;
    while (p < end && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
    let argEnd = end;
    while (argEnd > p && buf[argEnd - 1] === 0x0d) argEnd--;
    let d: Buffer;
    const q = buf[p];
    if (p < argEnd && (q === 0x27 || q === 0x22 || q === 0x60)) {
      const close = buf.indexOf(q, p + 1);
      d = buf.subarray(p + 1, close === -1 || close > argEnd ? argEnd : close);
    } else {
      let e = p;
      while (e < argEnd && buf[e] !== 0x20 && buf[e] !== 0x09) e++;
      d = buf.subarray(p, e);
    }
    const where = { file: this.file, offset: this.base + i, line: this.lineAt(buf, i) };
    const excerpt = printable(buf.subarray(i, Math.min(end, i + EXCERPT_BYTES)));
    if (d.length === 0) {
      throw new DumpError("DELIMITER must be followed by a 'delimiter' character or string", where, {
        excerpt,
        hint: 'fix or remove this DELIMITER line; the mysql client rejects it too',
      });
    }
    if (d.includes(BACKSLASH)) {
      throw new DumpError('DELIMITER cannot contain a backslash character', where, {
        excerpt,
        hint: 'choose another delimiter on this line and where it is used; the mysql client rejects it too',
      });
    }
    this.setDelimiter(Buffer.from(d.subarray(0, MAX_DELIMITER_BYTES)));
    return end;
  }

  /** Copies `buf[from, to)` after the pending statement text, growing its buffer as needed. */
  private appendPending(buf: Buffer, from: number, to: number): void {
    const len = this.pendingLen + (to - from);
    if (len > this.max) {
      this.tooLarge(buf.subarray(from, Math.min(to, from + CLASSIFY_HEAD_BYTES)));
    }
    const have = this.pending;
    if (have === undefined || have.length < len) {
      const grown = this.pool.acquire(Math.max(len, have === undefined ? 0 : 2 * have.length));
      if (have !== undefined) {
        have.copy(grown, 0, 0, this.pendingLen);
        this.pool.release(have);
      }
      this.pending = grown;
    }
    buf.copy(this.pending!, this.pendingLen, from, to);
    this.pendingLen = len;
  }

  private emit(buf: Buffer, stmtStart: number, end: number, delimiter: string): void {
    if (stmtStart >= 0 && end > stmtStart) this.appendPendingOrOwn(buf, stmtStart, end);
    const owner = this.pending;
    let len = this.pendingLen;
    const isView = this.pendingIsView;
    this.pending = undefined;
    this.pendingLen = 0;
    this.pendingIsView = false;
    let sql: Buffer;
    let release: () => void = noRelease;
    if (owner === undefined) {
      sql = Buffer.alloc(0);
    } else {
      while (len > 0 && isSpace(owner[len - 1]!)) len--;
      if (isView) {
        sql = owner.subarray(0, len);
        release = this.hold!.retain();
      } else if (!this.pool.isPooled(owner)) {
        sql = owner.subarray(0, len);
      } else if (len < this.pool.minBytes) {
        // Trimmed below the pooled sizes: an exact copy, and the pooled buffer goes straight back.
        sql = Buffer.from(owner.subarray(0, len));
        this.pool.release(owner);
      } else {
        sql = owner.subarray(0, len);
        let released = false;
        const pool = this.pool;
        release = () => {
          if (released) return;
          released = true;
          pool.release(owner);
        };
      }
    }
    this.out.push({ sql, offset: this.stmtOffset, line: this.stmtLine, delimiter, release });
    this.inStmt = false;
    this.inExec = false;
    this.atLineStart = false;
  }

  /**
   * The last part of a statement: appended to the pending text, or, for a statement that began in
   * this chunk, a view of the chunk when it is big (the chunk is held until the statement is
   * released), else a copy of its own. Small statements are copied so that one kept for long (a
   * trigger kept for the end, a consumer that never releases) does not hold a whole chunk.
   */
  private appendPendingOrOwn(buf: Buffer, from: number, to: number): void {
    if (this.pending !== undefined) return this.appendPending(buf, from, to);
    const len = to - from;
    if (len > this.max) this.tooLarge(buf.subarray(from, from + CLASSIFY_HEAD_BYTES));
    if (len < this.pool.minBytes) {
      this.pending = Buffer.from(buf.subarray(from, to));
      this.pendingLen = len;
      return;
    }
    if (this.hold !== undefined) {
      this.pending = buf.subarray(from, to);
      this.pendingLen = len;
      this.pendingIsView = true;
      return;
    }
    this.appendPending(buf, from, to);
  }

  finish(): void {
    const state = this.state;
    if (state === SINGLE || state === DOUBLE || state === BACKTICK) {
      const what =
        state === SINGLE
          ? 'a single-quoted string'
          : state === DOUBLE
            ? 'a double-quoted string'
            : 'a backtick-quoted identifier';
      this.truncated(`dump ends inside ${what}`);
    }
    if (state === BLOCK_COMMENT) {
      if (this.inStmt) this.truncated('dump ends inside a /* comment */');
      throw new DumpError(
        'dump ends inside a /* comment */: the file is truncated or corrupt',
        { file: this.file, offset: this.commentOffset, line: this.commentLine },
        { hint: HINT_TRUNCATED },
      );
    }
    if (!this.inStmt) return;
    if (this.inExec) this.truncated('dump ends inside a /*! executable comment */');
    this.emit(EMPTY, -1, 0, '');
  }

  /** The statement's first bytes (enough to classify it), as far as it was read. */
  private head(fallback?: Buffer): Buffer {
    if (this.pending !== undefined && this.pendingLen > 0) return Buffer.from(this.pending.subarray(0, Math.min(this.pendingLen, CLASSIFY_HEAD_BYTES)));
    return fallback ?? EMPTY;
  }

  /** Excerpt and table of the statement being read, for an error. */
  private context(fallback?: Buffer): { excerpt: string; table?: string } {
    const head = this.head(fallback);
    const table = classifyStatement(head).table;
    const excerpt = printable(head.subarray(0, EXCERPT_BYTES));
    return table === undefined ? { excerpt } : { excerpt, table };
  }

  private truncated(what: string): never {
    throw new DumpError(
      `${what}: the file is truncated or corrupt`,
      { file: this.file, offset: this.stmtOffset, line: this.stmtLine },
      { ...this.context(), hint: HINT_TRUNCATED },
    );
  }

  /** `head`: the statement's first bytes when none are pending yet. */
  private tooLarge(head?: Buffer): never {
    throw new DumpError(
      `statement is larger than ${this.max} bytes`,
      { file: this.file, offset: this.stmtOffset, line: this.stmtLine },
      {
        ...this.context(head),
        hint:
          'a quote that never closes makes the rest of the file one statement: check the dump near this place; ' +
          'if the statement really is this large, raise the statement size limit',
      },
    );
  }
}

/**
 * Renders bytes for an error message: printable ASCII and valid UTF-8 as they are, control
 * characters and invalid bytes as escapes (\n, \t, \r, \xNN).
 */
export function printable(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else {
      const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      if (len > 0 && i + len <= n) {
        const ch = utf8.decode(bytes.subarray(i, i + len));
        // One character and no replacement: a valid sequence.
        if (!ch.includes('\ufffd') && [...ch].length === 1) {
          s += ch;
          i += len;
          continue;
        }
      }
      s += `\\x${c.toString(16).padStart(2, '0')}`;
    }
    i++;
  }
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
