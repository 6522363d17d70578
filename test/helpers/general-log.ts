/**
 * Reading a MariaDB/MySQL general query log file, and a model of what the `mysql` client and the
 * server do to a statement's text before it reaches that log: for comparing drydock's splitter
 * with the real client (test/integration/splitter-client.test.ts).
 */

/** One entry of the general log: `<time>\t<id> <Command>\t<argument>`. */
export interface LogEntry {
  thread: number;
  command: string;
  /** The argument bytes exactly as logged (a query may hold newlines, tabs and any byte). */
  argument: Buffer;
}

/**
 * An entry header at the start of a line: either a timestamp (`261125 16:08:41`) or two tabs, then
 * the right-aligned thread id, the command and a tab. A query text that contains a newline followed
 * by such a header would be misread; the random dumps of the tests never contain one.
 */
const HEADER = /(?:^|\n)(?:\d{6} [ \d]\d:\d\d:\d\d|\t)\t *(\d+) (Connect|Query|Quit|Init DB|Field List|Prepare|Execute|Close stmt|Reset stmt|Long Data|Ping|Statistics|Refresh|Shutdown|Processlist|Kill|Debug|Change user|Binlog Dump|Set option|Fetch|Daemon|Error|Sleep|Connect Out|Time|Delayed insert|Register Slave|Table Dump)\t/g;

/**
 * Parses a general log (or the part of it written since some offset). The file header lines
 * (`... started with:`, `Tcp port: ...`, `Time  Id Command  Argument`) are skipped: they come
 * before the first entry, or between entries after a restart, where they end the previous
 * argument only if they follow a newline — a restart never happens in the tests.
 */
export function parseGeneralLog(log: Buffer): LogEntry[] {
  // latin1 maps bytes 1:1 to UTF-16 code units, so string indices are byte offsets.
  const text = log.toString('latin1');
  const heads: { at: number; argAt: number; thread: number; command: string }[] = [];
  for (const m of text.matchAll(HEADER)) {
    const at = m.index + (m[0].startsWith('\n') ? 1 : 0);
    heads.push({ at, argAt: m.index + m[0].length, thread: Number(m[1]), command: m[2]! });
  }
  return heads.map((h, i) => {
    const next = heads[i + 1];
    // The argument ends with the newline before the next entry (or the file's last newline).
    let end = next === undefined ? text.length : next.at;
    if (end > h.argAt && text.charCodeAt(end - 1) === 0x0a) end--;
    return { thread: h.thread, command: h.command, argument: log.subarray(h.argAt, end) };
  });
}

/** The client's my_isspace: space, \t \n \v \f \r. */
function isSpace(c: number | undefined): boolean {
  return c !== undefined && (c === 0x20 || (c >= 0x09 && c <= 0x0d));
}

/**
 * Bytes the client's utf8mb4 ctype does not count as graphic; it strips them from the end of a
 * statement (remove_cntrl in client/mysql.cc). Measured against the MariaDB 10.11 client: 0x01-0x20,
 * 0x7f and 0xff; every other byte stays.
 */
function isClientTrailingJunk(c: number): boolean {
  return c <= 0x20 || c === 0x7f || c === 0xff;
}

/** Length of a valid UTF-8 multi-byte character at `i` (the client's my_ismbchar), else 0. */
function mbLength(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  const cont = (k: number): boolean => i + k < end && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    return c === 0xe0 && b[i + 1]! < 0xa0 ? 0 : 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c === 0xf0 && b[i + 1]! < 0x90) return 0;
    if (c === 0xf4 && b[i + 1]! > 0x8f) return 0;
    return 4;
  }
  return 0;
}

/**
 * The text the `mysql` client (MariaDB 10.11, `--binary-mode`, default `--skip-comments`,
 * utf8mb4) sends for one statement as drydock's splitter returns it (no delimiter, no leading
 * comments), followed by the server's own trimming before it logs the query (alloc_query: leading
 * whitespace, trailing whitespace and ';'). Mirrors add_line() in client/mysql.cc, line by line:
 *
 * - `-- ` (or `--` at the end of a line) and `#` comments: the rest of the line is dropped, the
 *   newline stays; `/* *\/` comments vanish, newlines inside them too, and a space is put in when
 *   the next byte on the same line is not whitespace (not before a multi-byte character);
 *   `/*!` and `/*M!` executable comments are kept as code.
 * - Inside a comment, `/*` is re-read as a comment start, so `/*\/` does not close it; after `/*!`
 *   the next `*\/` closes the executable comment, not a plain comment around it.
 * - `\-` outside strings (the sandbox command) is dropped; other backslash pairs are kept.
 * - Trailing non-graphic bytes are dropped by the client, then the server strips trailing
 *   whitespace and `;` and leading whitespace.
 *
 * Not modelled (the tests keep them out): a backslash right before a newline inside a string, and a
 * line that starts with `delimiter` inside a statement.
 */
export function clientStatementText(sql: Buffer): Buffer {
  const buffer: number[] = [];
  let inString = 0;
  let ml = false;
  let ss = false;
  let lineStart = 0;
  while (lineStart <= sql.length) {
    let lineEnd = sql.indexOf(0x0a, lineStart);
    const hasNewline = lineEnd !== -1;
    if (!hasNewline) lineEnd = sql.length;
    if (!hasNewline && lineStart === lineEnd) break;
    const out: number[] = [];
    let needSpace = false;
    const at = (k: number): number | undefined => (k < lineEnd ? sql[k] : undefined);
    for (let pos = lineStart; pos < lineEnd; pos++) {
      const c = sql[pos]!;
      if (isSpace(c) && out.length === 0 && buffer.length === 0) continue;
      const mb = c >= 0x80 ? mbLength(sql, pos, lineEnd) : 0;
      if (mb > 0) {
        if (!ml) for (let k = 0; k < mb; k++) out.push(sql[pos + k]!);
        pos += mb - 1;
        continue;
      }
      const n1 = at(pos + 1);
      if (!ml && c === 0x5c && inString !== 0x60) {
        if (n1 === undefined) break; // not modelled: see above
        if (inString !== 0 || n1 !== 0x2d /* - */) out.push(c, n1);
        pos++;
        continue;
      }
      if (
        !ml &&
        inString === 0 &&
        (c === 0x23 || (c === 0x2d && n1 === 0x2d && (isSpace(at(pos + 2)) || at(pos + 2) === undefined || (buffer.length === 0 && out.length === 0))))
      ) {
        buffer.push(...out);
        out.length = 0;
        break;
      }
      const n2 = at(pos + 2);
      if (inString === 0 && c === 0x2f && n1 === 0x2a && !(n2 === 0x21 || (n2 === 0x4d && at(pos + 3) === 0x21))) {
        pos++;
        ml = true;
        buffer.push(...out);
        out.length = 0;
        continue;
      }
      if (ml && !ss && c === 0x2a && n1 === 0x2f) {
        pos++;
        ml = false;
        buffer.push(...out);
        out.length = 0;
        needSpace = true;
        continue;
      }
      if (inString === 0 && c === 0x2f && n1 === 0x2a && n2 === 0x21) ss = true;
      else if (inString === 0 && ss && c === 0x2a && n1 === 0x2f) ss = false;
      if (c === inString) inString = 0;
      else if (!ml && inString === 0 && (c === 0x27 || c === 0x22 || c === 0x60)) inString = c;
      if (!ml) {
        if (needSpace && !isSpace(c)) out.push(0x20);
        needSpace = false;
        out.push(c);
      }
    }
    // The last line of a statement has no newline in drydock's text; the client's one would be
    // trimmed at the end anyway.
    if (hasNewline && (out.length > 0 || buffer.length > 0)) {
      out.push(0x0a);
      if (!ml) buffer.push(...out);
    } else if (!ml) buffer.push(...out);
    if (!hasNewline) break;
    lineStart = lineEnd + 1;
  }
  let e = buffer.length;
  while (e > 0 && isClientTrailingJunk(buffer[e - 1]!)) e--;
  while (e > 0 && (buffer[e - 1] === 0x3b || isSpace(buffer[e - 1]))) e--;
  let s = 0;
  while (s < e && isSpace(buffer[s])) s++;
  return Buffer.from(buffer.slice(s, e));
}

/** The same trimming the server does to any query before it logs it. */
export function serverTrim(sql: Buffer): Buffer {
  let e = sql.length;
  while (e > 0 && (sql[e - 1] === 0x3b || isSpace(sql[e - 1]))) e--;
  let s = 0;
  while (s < e && isSpace(sql[s])) s++;
  return sql.subarray(s, e);
}
