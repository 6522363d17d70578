/**
 * fast-check generators of mysqldump-like SQL text together with the statements a correct splitter
 * (and the mysql client) returns for it: the model for property tests of the splitter.
 *
 * The text uses every quoting, comment and escape form the splitter must handle: strings with
 * backslash escapes and doubled quotes, backtick identifiers, `-- `, `#` and `/* *\/` comments
 * between and inside statements, `/*! *\/` and `/*M! *\/` executable comments, DELIMITER blocks,
 * raw binary bytes, CRLF line ends, and a final statement without a delimiter.
 *
 * Generated text stays inside the area where the splitter and the mysql client agree (see the
 * header of pipeline/dump/splitter.ts): no comment nested in an executable comment, no DELIMITER
 * mid-statement. With `{ nul: false }` it contains no NUL byte, which the mysql client refuses
 * without --binary-mode.
 */

import fc from 'fast-check';

/** A statement as the splitter must return it. */
export interface ExpectedStatement {
  sql: Buffer;
  offset: number;
  line: number;
  delimiter: string;
}

export interface DumpModel {
  bytes: Buffer;
  statements: ExpectedStatement[];
}

export interface DumpArbitraryOptions {
  /** Allow NUL bytes inside strings and comments; default true. */
  nul?: boolean;
  /** Most statements per dump; default 8. */
  maxStatements?: number;
}

/** Delimiters a DELIMITER line may set; none can occur by accident in the generated code. */
export const DELIMITERS = [';', ';;', '$$', '//', '|'] as const;

type Tok =
  | { k: 'word'; v: string }
  | { k: 'semi' }
  | { k: 'raw'; v: Buffer } // strings, identifiers, comments, hex literals: serialized already
  | { k: 'exec'; marker: string; toks: Tok[] };

interface StatementSpec {
  toks: Tok[];
  joins: string[];
  beforeEnd: string;
}

interface GapSpec {
  pieces: (Buffer | 'empty-statement')[];
}

interface DelimiterLine {
  indent: string;
  keyword: string;
  sep: string;
  quote: string;
  delimiter: string;
  trailing: string;
  eol: string;
}

interface ItemSpec {
  gap: GapSpec;
  delimiterLine: DelimiterLine | null;
  stmt: StatementSpec;
}

const WORDS = ['SELECT', 'INSERT', 'INTO', 't', 'VALUES', 'SET', '@a', '=', '(', ')', ',', '1', '-1', '2--1', '3-', 'x.y', 'BEGIN', 'END', 'NULL', '*', '+', '%', 'ÄÖ'];
const JOINS = [' ', '\t', '\n', '\r\n', '  \n '];

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function byteExcept(except: number[], nul: boolean): fc.Arbitrary<number> {
  return fc.integer({ min: nul ? 0 : 1, max: 255 }).filter((x) => !except.includes(x));
}

function binaryRun(except: number[], nul: boolean): fc.Arbitrary<Buffer> {
  return fc.array(byteExcept(except, nul), { minLength: 1, maxLength: 4 }).map((a) => Buffer.from(a));
}

/** Text that looks like SQL syntax: it must stay inert inside strings and comments. */
const TRAPS = [';', ';;', '$$', '//', '|', '--', '-- ', '#', '/*', '/*!', '\n', '\r\n', 'DELIMITER ;;\n', 'x', ' '];

function quoted(q: number, nul: boolean): fc.Arbitrary<Buffer> {
  const other = q === 0x27 ? '"`' : "'`";
  const part = fc.oneof(
    fc.constantFrom(...TRAPS, ...other.split('')).map(b),
    fc.constant(Buffer.from([q, q])),
    byteExcept([], nul).map((x) => Buffer.from([0x5c, x])),
    binaryRun([q, 0x5c], nul),
  );
  return fc.array(part, { maxLength: 6 }).map((parts) => Buffer.concat([Buffer.from([q]), ...parts, Buffer.from([q])]));
}

function backticked(nul: boolean): fc.Arbitrary<Buffer> {
  // A backslash is an ordinary byte inside backticks.
  const part = fc.oneof(fc.constantFrom(...TRAPS, "'", '"', '\\', '``').map(b), binaryRun([0x60], nul));
  return fc.array(part, { maxLength: 5 }).map((parts) => Buffer.concat([b('`'), ...parts, b('`')]));
}

function blockComment(nul: boolean): fc.Arbitrary<Buffer> {
  // A leading space keeps it from being an executable comment; '*' only before a space keeps '*/' out.
  // No '/' right before '*': inside a comment the client reads '/*' as a new comment start, so
  // '/*/' does not close it (a quirk the splitter mirrors; unit-tested). No '/*!' either: after it
  // the client does not end the comment at the next '*/' on the same line (likewise mirrored).
  const traps = TRAPS.filter((t) => t !== '/*!').map((t) => (t === '/*' ? '/* ' : t.endsWith('/') ? `${t} ` : t));
  const part = fc.oneof(fc.constantFrom(...traps, "'", '"', '`', '* ', '/ ').map(b), binaryRun([0x2a, 0x2f], nul));
  return fc.array(part, { maxLength: 5 }).map((parts) => Buffer.concat([b('/* '), ...parts, b('*/')]));
}

function lineComment(nul: boolean): fc.Arbitrary<Buffer> {
  const part = fc.oneof(
    fc.constantFrom(';', ';;', '$$', '//', "'", '"', '`', '/*', '*/', 'x', ' ', '\r').map(b),
    binaryRun([0x0a], nul),
  );
  return fc
    .tuple(fc.constantFrom('-- ', '--\t', '#', '--\r', '--'), fc.array(part, { maxLength: 4 }))
    .map(([start, parts]) =>
      // '--' alone is a comment only before whitespace: end it right there.
      start === '--' ? b('--\n') : Buffer.concat([b(start), ...parts, b('\n')]),
    );
}

function codeTok(nul: boolean, depth: number): fc.Arbitrary<Tok> {
  const leaves: fc.Arbitrary<Tok>[] = [
    fc.constantFrom(...WORDS).map((v): Tok => ({ k: 'word', v })),
    fc.constant<Tok>({ k: 'semi' }),
    quoted(0x27, nul).map((v): Tok => ({ k: 'raw', v })),
    quoted(0x22, nul).map((v): Tok => ({ k: 'raw', v })),
    backticked(nul).map((v): Tok => ({ k: 'raw', v })),
    fc.constantFrom('0xDEADBEEF', "x'3B27'", "b'0101'", '0x').map((v): Tok => ({ k: 'raw', v: b(v) })),
  ];
  if (depth > 0) return fc.oneof(...leaves);
  return fc.oneof(
    ...leaves,
    blockComment(nul).map((v): Tok => ({ k: 'raw', v })),
    lineComment(nul).map((v): Tok => ({ k: 'raw', v })),
    execComment(nul),
  );
}

function execComment(nul: boolean): fc.Arbitrary<Tok> {
  return fc
    .tuple(
      fc.constantFrom('/*!40101 ', '/*!50003 ', '/*!', '/*M!100100 ', '/*!99999 '),
      fc.array(codeTok(nul, 1), { minLength: 1, maxLength: 4 }),
    )
    .map(([marker, toks]): Tok => ({ k: 'exec', marker, toks }));
}

function statementSpec(nul: boolean): fc.Arbitrary<StatementSpec> {
  const first = fc.oneof(
    fc.constantFrom('SELECT', 'INSERT', 'SET', 'CREATE', 'ÄÖ').map((v): Tok => ({ k: 'word', v })),
    quoted(0x27, nul).map((v): Tok => ({ k: 'raw', v })),
    backticked(nul).map((v): Tok => ({ k: 'raw', v })),
    execComment(nul),
    fc.constant<Tok>({ k: 'raw', v: b('/*M!999999\\- enable the sandbox mode */') }),
  );
  return fc
    .tuple(first, fc.array(codeTok(nul, 0), { maxLength: 8 }), fc.array(fc.constantFrom(...JOINS), { minLength: 9, maxLength: 9 }), fc.constantFrom('', ' ', '\n', '\r\n'))
    .map(([t0, rest, joins, beforeEnd]) => ({ toks: [t0, ...rest], joins, beforeEnd }));
}

function gapSpec(nul: boolean): fc.Arbitrary<GapSpec> {
  const piece = fc.oneof(
    fc.constantFrom(' ', '\n', '\r\n', '\t').map((s): Buffer | 'empty-statement' => b(s)),
    blockComment(nul),
    lineComment(nul),
    fc.constant<'empty-statement'>('empty-statement'),
  );
  return fc.array(piece, { maxLength: 4 }).map((pieces) => ({ pieces }));
}

const delimiterLine: fc.Arbitrary<DelimiterLine> = fc.record({
  indent: fc.constantFrom('', ' ', '\t '),
  keyword: fc.constantFrom('DELIMITER', 'delimiter', 'Delimiter'),
  sep: fc.constantFrom(' ', '  ', '\t'),
  quote: fc.constantFrom('', '', "'", '"', '`'),
  delimiter: fc.constantFrom(...DELIMITERS),
  trailing: fc.constantFrom('', '', ' ignored words'),
  eol: fc.constantFrom('\n', '\r\n'),
});

/** Random dumps with the statements they must split into. */
export function dumpArbitrary(opts: DumpArbitraryOptions = {}): fc.Arbitrary<DumpModel> {
  const nul = opts.nul ?? true;
  const item = fc.record({
    gap: gapSpec(nul),
    delimiterLine: fc.option(delimiterLine, { freq: 3 }),
    stmt: statementSpec(nul),
  });
  return fc
    .tuple(
      fc.array(item, { maxLength: opts.maxStatements ?? 8 }),
      fc.boolean(), // the last statement has no delimiter
      gapSpec(nul),
    )
    .map(([items, lastUnterminated, finalGap]) => serialize(items, lastUnterminated, finalGap));
}

function serialize(items: ItemSpec[], lastUnterminated: boolean, finalGap: GapSpec): DumpModel {
  const out: Buffer[] = [];
  let len = 0;
  let lines = 1;
  let delimiter = ';';
  const push = (buf: Buffer): void => {
    out.push(buf);
    len += buf.length;
    for (const c of buf) if (c === 0x0a) lines++;
  };
  const lastByte = (): number | undefined => out.at(-1)?.at(-1);
  const pushGap = (gap: GapSpec): void => {
    for (const p of gap.pieces) push(p === 'empty-statement' ? b(delimiter) : p);
  };
  const statements: ExpectedStatement[] = [];

  items.forEach((it, idx) => {
    pushGap(it.gap);
    if (it.delimiterLine !== null) {
      const d = it.delimiterLine;
      if (len > 0 && lastByte() !== 0x0a) push(b('\n'));
      push(b(`${d.indent}${d.keyword}${d.sep}${d.quote}${d.delimiter}${d.quote}${d.trailing}${d.eol}`));
      delimiter = d.delimiter;
    }
    const offset = len;
    const line = lines;
    const parts: Buffer[] = [];
    it.stmt.toks.forEach((t, i) => {
      if (i > 0) parts.push(b(it.stmt.joins[i - 1] ?? ' '));
      parts.push(render(t, delimiter));
    });
    const sql = Buffer.concat(parts);
    push(sql);
    const final = idx === items.length - 1 && lastUnterminated;
    // After ';' or '*/' a delimiter such as ';;' or '//' would start inside them: keep a space.
    const needsSpace = b(delimiter).includes(sql.at(-1)!);
    const beforeEnd = needsSpace && it.stmt.beforeEnd === '' ? ' ' : it.stmt.beforeEnd;
    push(b(beforeEnd));
    if (!final) push(b(delimiter));
    statements.push({ sql: trimEnd(sql), offset, line, delimiter: final ? '' : delimiter });
  });
  if (!lastUnterminated) pushGap(finalGap);
  return { bytes: Buffer.concat(out, len), statements };
}

function render(t: Tok, delimiter: string): Buffer {
  switch (t.k) {
    case 'word':
      return b(t.v);
    case 'semi':
      // A bare ';' is statement text only when it is not the delimiter.
      return b(delimiter === ';' ? ',' : ';');
    case 'raw':
      return t.v;
    case 'exec':
      return Buffer.concat([b(t.marker), ...t.toks.flatMap((x) => [render(x, delimiter), b(' ')]), b('*/')]);
  }
}

function trimEnd(sql: Buffer): Buffer {
  let e = sql.length;
  while (e > 0 && (sql[e - 1] === 0x20 || (sql[e - 1]! >= 0x09 && sql[e - 1]! <= 0x0d))) e--;
  return sql.subarray(0, e);
}

/** Chunk sizes for feeding a dump to the splitter in pieces. */
export const chunkSizesArbitrary: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 64 }), {
  minLength: 1,
  maxLength: 8,
});
