import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../pipeline/errors.js';
import { openSqlSource } from '../../pipeline/dump/sql-source.js';
import { BufferPool } from '../../pipeline/dump/buffer-pool.js';
import { DumpError } from '../../pipeline/errors.js';
import { splitStatements, type Statement } from '../../pipeline/dump/splitter.js';

async function* chunked(input: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let off = 0;
  let k = 0;
  while (off < input.length) {
    const size = sizes.length === 0 ? input.length : Math.max(1, sizes[k++ % sizes.length]!);
    yield input.subarray(off, off + size);
    off += size;
  }
}

async function split(
  input: string | Buffer,
  sizes: number[] = [],
  opts: { maxStatementBytes?: number } = {},
): Promise<Statement[]> {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const out: Statement[] = [];
  for await (const s of splitStatements(chunked(buf, sizes), { file: 'dump.sql', ...opts })) out.push(s);
  return out;
}

async function sqls(input: string | Buffer, sizes: number[] = []): Promise<string[]> {
  return (await split(input, sizes)).map((s) => s.sql.toString('latin1'));
}

async function splitError(input: string | Buffer, opts: { maxStatementBytes?: number } = {}): Promise<DumpError> {
  try {
    await split(input, [], opts);
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the splitter to throw');
}

/** The same statements, whatever the chunk boundaries. */
async function assertChunkInvariant(text: string | Buffer, step = 1): Promise<void> {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const whole = await split(buf);
  for (let cut = 1; cut < buf.length; cut += step) {
    assert.deepEqual(await split(buf, [cut, buf.length]), whole, `split at byte ${cut}`);
  }
  assert.deepEqual(await split(buf, [1]), whole, 'one byte per chunk');
  assert.deepEqual(await split(buf, [2, 3]), whole, 'two and three bytes per chunk');
}

describe('splitStatements', () => {
  test('splits on ; and reports offset, line and delimiter', async () => {
    const st = await split('SELECT 1;\n\nSELECT\n 2 ;\n  SELECT 3;');
    assert.deepEqual(
      st.map((s) => [s.sql.toString(), s.offset, s.line, s.delimiter]),
      [
        ['SELECT 1', 0, 1, ';'],
        ['SELECT\n 2', 11, 3, ';'],
        ['SELECT 3', 25, 5, ';'],
      ],
    );
  });

  test('a final statement without delimiter or newline is still returned, with delimiter ""', async () => {
    const st = await split('SELECT 1;\nSELECT 2');
    assert.equal(st.length, 2);
    assert.equal(st[1]!.sql.toString(), 'SELECT 2');
    assert.equal(st[1]!.delimiter, '');
    assert.deepEqual(await sqls('SELECT 1;\nSELECT 2\n'), ['SELECT 1', 'SELECT 2']);
  });

  test('empty statements and comment-only statements are skipped, as the client does', async () => {
    assert.deepEqual(await sqls(';;\n/* c */;\n-- x\n;SELECT 1;;'), ['SELECT 1']);
    assert.deepEqual(await sqls('-- MySQL dump\n/* only comments */\n# here\n'), []);
    assert.deepEqual(await sqls(''), []);
  });

  test('quotes: single, double, doubled quotes and backslash escapes hide delimiters', async () => {
    assert.deepEqual(await sqls(`SELECT 'a;b', 'it''s;', 'x\\';y', "d;q", "say ""hi"";", "\\";";SELECT 2;`), [
      `SELECT 'a;b', 'it''s;', 'x\\';y', "d;q", "say ""hi"";", "\\";"`,
      'SELECT 2',
    ]);
  });

  test('backticks: doubled backticks escape, a backslash does not', async () => {
    assert.deepEqual(await sqls('SELECT 1 AS `a;``b`, 2 AS `c\\`;SELECT 3;'), [
      'SELECT 1 AS `a;``b`, 2 AS `c\\`',
      'SELECT 3',
    ]);
  });

  test('-- starts a comment only before whitespace or the end of input', async () => {
    assert.deepEqual(await sqls('SELECT 1 -- a; b\n;SELECT 2--1;SELECT 3 --\t;\n;SELECT 4 --'), [
      'SELECT 1 -- a; b',
      'SELECT 2--1',
      'SELECT 3 --\t;',
      'SELECT 4 --',
    ]);
    assert.deepEqual(await sqls('SELECT 5 --\n;'), ['SELECT 5 --']);
  });

  test('# and /* */ comments hide delimiters; leading comments are not part of the statement', async () => {
    const st = await split('/* lead; */ -- x;\n# y;\nSELECT 1 # z;\n, 2 /* ; */;');
    assert.equal(st.length, 1);
    assert.equal(st[0]!.sql.toString(), 'SELECT 1 # z;\n, 2 /* ; */');
    assert.equal(st[0]!.offset, 23);
    assert.equal(st[0]!.line, 3);
  });

  test('/*! */ executable comments are statement text; the ; after them ends the statement', async () => {
    assert.deepEqual(
      await sqls('/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE=\'+00:00\' */;\n/*!50001 CREATE VIEW `v` AS SELECT \';\' */;'),
      ["/*!40101 SET NAMES utf8mb4 */", "/*!40103 SET TIME_ZONE='+00:00' */", "/*!50001 CREATE VIEW `v` AS SELECT ';' */"],
    );
  });

  test('a delimiter inside /*! */ ends the statement, as in the mysql client', async () => {
    // Checked with the MariaDB 10.11 client: it sends "/*!40101 SET @a=1" and then "SET @b=2 */".
    assert.deepEqual(await sqls('/*!40101 SET @a=1; SET @b=2 */;'), ['/*!40101 SET @a=1', 'SET @b=2 */']);
  });

  test('the delimiter is looked for before comment ends, as in the mysql client', async () => {
    // Checked with the MariaDB 10.11 client: with DELIMITER //, "*///" ends the statement at the
    // "/" of "*/", and the client sends "/*!40101 SELECT 1 *".
    assert.deepEqual(await sqls('DELIMITER //\n/*!40101 SELECT 1 *///\nSELECT 2 -- x //\n//\nDELIMITER ;\n'), [
      '/*!40101 SELECT 1 *',
      '/\nSELECT 2 -- x //',
    ]);
  });

  test("'/*!' inside a comment: the client's per-line quirk is mirrored", async () => {
    // Each case checked with the MariaDB 10.11 client and the server's general log.
    assert.deepEqual(await sqls('/* /*! b */ */\nSELECT 4;'), ['SELECT 4']);
    assert.deepEqual(await sqls('/* /*! b\n */\nSELECT 5;'), ['SELECT 5']);
    assert.deepEqual(await sqls('/* /*! b\n */ */\nSELECT 6;'), ['*/\nSELECT 6']);
    assert.deepEqual(await sqls('/* /*M! b */\nSELECT 7;'), ['SELECT 7']);
    assert.deepEqual(await sqls('/* /*! */ x */\nSELECT 9;'), ['SELECT 9']);
    assert.deepEqual(await sqls('SELECT 8 /* /*! b */ ; */;'), ['SELECT 8 /* /*! b */ ; */']);
    // '/*' inside a comment is read as a pair: in '/*/' the '*' does not close the comment.
    assert.deepEqual(await sqls('/* a/*/ b */SELECT 1;\n/* c /*/\nSELECT 2;\n*/SELECT 3;\n'), ['SELECT 1', 'SELECT 3']);
    // The client sends nothing here: the comment never ends.
    const err = await splitError('/* /*! b */\nSELECT 3;');
    assert.match(err.message, /inside a \/\* comment/);
  });

  test('the MariaDB sandbox line is prefixed to the next statement, as the client does', async () => {
    const st = await split('/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump\n/*!40101 SET x=1 */;\n');
    assert.equal(st.length, 1);
    assert.equal(st[0]!.sql.toString(), '/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump\n/*!40101 SET x=1 */');
    assert.equal(st[0]!.offset, 0);
  });

  test('a backslash outside strings pairs with the next byte and never opens a string', async () => {
    assert.deepEqual(await sqls("SELECT \\' ;SELECT 2;"), ["SELECT \\'", 'SELECT 2']);
  });

  test('DELIMITER changes the delimiter and is not a statement', async () => {
    const text = [
      'DELIMITER ;;',
      '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON `t` FOR EACH ROW BEGIN',
      "  SET NEW.a = 'x;y';",
      '  SET NEW.b = 2;',
      'END */;;',
      'DELIMITER ;',
      'SELECT 1;',
      '  delimiter $$  trailing words are ignored',
      'CREATE PROCEDURE p() BEGIN SELECT 1; END$$',
      "DELIMITER '//'",
      'SELECT 2//',
      'DELIMITER ;',
      '',
    ].join('\n');
    const st = await split(text);
    assert.deepEqual(
      st.map((s) => [s.sql.toString().split('\n')[0], s.delimiter, s.line]),
      [
        ['/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON `t` FOR EACH ROW BEGIN', ';;', 2],
        ['SELECT 1', ';', 7],
        ['CREATE PROCEDURE p() BEGIN SELECT 1; END', '$$', 9],
        ['SELECT 2', '//', 11],
      ],
    );
    assert.ok(st[0]!.sql.toString().endsWith("SET NEW.b = 2;\nEND */"));
  });

  test('DELIMITER is recognised after comments and with CRLF line ends', async () => {
    assert.deepEqual(await sqls('/* c */\r\n-- x\r\nDELIMITER ;;\r\nSELECT 1;;\r\nDELIMITER ;\r\nSELECT 2;\r\n'), [
      'SELECT 1',
      'SELECT 2',
    ]);
  });

  test('DELIMITER inside a statement is statement text (the client differs here; mysqldump never writes it)', async () => {
    assert.deepEqual(await sqls('SELECT 1 DELIMITER ;;'), ['SELECT 1 DELIMITER']);
  });

  test('DELIMITER without an argument is a DumpError', async () => {
    const err = await splitError('SELECT 1;\nDELIMITER\nSELECT 2;');
    assert.match(err.message, /DELIMITER must be followed by/);
    assert.deepEqual(err.location, { file: 'dump.sql', offset: 10, line: 2 });
  });

  test('CRLF line ends: lines count, trailing CR is not part of the statement', async () => {
    const st = await split('SELECT 1;\r\nSELECT\r\n 2;\r\n');
    assert.deepEqual(
      st.map((s) => [s.sql.toString(), s.line]),
      [
        ['SELECT 1', 1],
        ['SELECT\r\n 2', 2],
      ],
    );
  });

  test('binary bytes inside strings pass through untouched', async () => {
    const blob = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x3b, 0x0a, 0x0d, 0x27, 0x27, 0x5c, 0x5c, 0xc3]);
    const stmt = Buffer.concat([Buffer.from("INSERT INTO t VALUES ('"), blob, Buffer.from("',0xDEADBEEF,x'3B')")]);
    const st = await split(Buffer.concat([stmt, Buffer.from(';\nSELECT 2;')]), [5]);
    assert.equal(st.length, 2);
    assert.ok(st[0]!.sql.equals(stmt));
  });

  test('a multi-megabyte extended INSERT over many chunks comes out byte-exact', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 60_000; i++) rows.push(`(${i},'row ${i} it''s \\'q\\' ;',"dq;",0x${(i * 7919).toString(16).padStart(8, '0')})`);
    const insert = `INSERT INTO \`t\` VALUES ${rows.join(',')}`;
    assert.ok(insert.length > 2_000_000);
    const st = await split(`${insert};\nSELECT 1;\n`, [65536, 1000, 7]);
    assert.equal(st.length, 2);
    assert.equal(st[0]!.sql.toString(), insert);
    assert.equal(st[1]!.offset, insert.length + 2);
    assert.equal(st[1]!.line, 2);
  });

  test('many statements on one long line stay linear (line counting does not rescan the line)', async () => {
    const line = Buffer.from('SET @a=1;'.repeat(200_000));
    const t0 = performance.now();
    const st = await split(line);
    assert.equal(st.length, 200_000);
    assert.equal(st.at(-1)!.line, 1);
    assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`);
  });

  test('chunk boundaries anywhere give the same statements', async () => {
    await assertChunkInvariant(
      "/*!40101 SET x=1 */;\r\n-- c;\nSELECT 'a\\'b''c;', \"d\"\"e\", `f``g` # h;\n/* i;*/ FROM t;\n" +
        'DELIMITER ;;\nCREATE TRIGGER x BEGIN SET a=1; END;;\nDELIMITER ;\nSELECT 1--1;SELECT 2 --\n;SELECT \\\'; SELECT 3',
    );
    await assertChunkInvariant('DELIMITER $$\nSELECT 1 $$ SELECT $ $$;\nDELIMITER ;\nSELECT 2;');
  });

  test('errors: the dump ends inside a string, an identifier or a comment', async () => {
    const cases: [string, RegExp][] = [
      ["SELECT 1;\nINSERT INTO t VALUES ('abc", /dump ends inside a single-quoted string: the file is truncated or corrupt/],
      ['SELECT 1;\nSELECT "abc\\"', /double-quoted string/],
      ['SELECT 1;\nSELECT `abc', /backtick-quoted identifier/],
      ['SELECT 1;\nSELECT 1 /* abc', /inside a \/\* comment \*\//],
      ['SELECT 1;\n/*!40101 SET x=1', /executable comment/],
    ];
    for (const [text, re] of cases) {
      const err = await splitError(text);
      assert.match(err.message, re);
      assert.deepEqual(err.location, { file: 'dump.sql', offset: 10, line: 2 });
      assert.ok(err.excerpt?.startsWith(text.slice(10, 16)), err.excerpt);
      assert.match(err.hint ?? '', /re-create the dump/);
    }
    const between = await splitError('SELECT 1;\n\n/* never closed; SELECT 2;');
    assert.deepEqual(between.location, { file: 'dump.sql', offset: 11, line: 3 });
  });

  test('errors: the excerpt is the first 200 bytes, with non-printable bytes escaped', async () => {
    const err = await splitError(Buffer.concat([Buffer.from("INSERT INTO t VALUES ('\x00\n"), Buffer.from([0xff]), Buffer.from('x'.repeat(500))]));
    assert.equal(err.excerpt?.slice(0, 36), "INSERT INTO t VALUES ('\\x00\\n\\xffxxx");
    assert.equal(err.excerpt?.length, 200 - 3 + 4 + 2 + 4);
  });

  test('errors: name the table, and keep valid UTF-8 readable in the excerpt', async () => {
    const err = await splitError("SELECT 1;\nINSERT INTO `shop`.`täble` VALUES (1,'ü\x01");
    assert.equal(err.table, 'täble');
    assert.equal(err.excerpt, "INSERT INTO `shop`.`täble` VALUES (1,'ü\\x01");
    assert.match(err.message, /table täble/);
  });

  test('errors: a statement larger than maxStatementBytes', async () => {
    const err = await splitError(`SELECT 1;\nINSERT INTO t VALUES ('${'x'.repeat(5000)}');`, { maxStatementBytes: 1000 });
    assert.match(err.message, /statement is larger than 1000 bytes/);
    assert.deepEqual(err.location, { file: 'dump.sql', offset: 10, line: 2 });
    assert.match(err.hint ?? '', /quote that never closes/);
    // Also when the statement fits in one chunk.
    await assert.rejects(split('SELECT 12345678;', [], { maxStatementBytes: 8 }), DumpError);
  });

  test('a real mariadb-dump file: the same statements the mysql client sends', async () => {
    // Made by mariadb-dump 10.11 (a table with escapes and binary data, a trigger, a view). Piped
    // through the mariadb client, the server's general log showed 58 statements.
    const text = readFileSync(new URL('../fixtures/dumps/mysqldump-small.sql', import.meta.url));
    const st = await split(text, [100]);
    assert.equal(st.length, 58);
    assert.ok(st[0]!.sql.toString().startsWith('/*M!999999\\- enable the sandbox mode */'));
    const insert = st.find((s) => s.sql.toString().startsWith('INSERT'));
    assert.equal(insert?.line, 40);
    assert.ok(insert?.sql.includes(Buffer.from([0x27, 0x5c, 0x30, 0xff, 0x3b, 0x5c, 0x27, 0x27])));
    const trigger = st.filter((s) => s.delimiter === ';;');
    assert.equal(trigger.length, 1);
    assert.ok(trigger[0]!.sql.toString().endsWith("set NEW.name = CONCAT(NEW.name, ';');\nend \n*/"));
    assert.equal(st.at(-1)!.sql.toString(), '/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */');
    await assertChunkInvariant(text, 11);
  });
});

describe('openSqlSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-sql-source-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const text = Buffer.from("SELECT 1;\nINSERT INTO t VALUES ('x;y');\n".repeat(2000));

  async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
    const got: Buffer[] = [];
    for await (const c of chunks) got.push(c);
    return Buffer.concat(got);
  }

  test('a plain file: its bytes, its size, bytes read for progress', async () => {
    const file = join(dir, 'plain.sql');
    writeFileSync(file, text);
    const src = await openSqlSource(file, { chunkBytes: 4096 });
    assert.equal(src.compressed, false);
    assert.equal(src.sizeBytes, text.length);
    assert.ok((await readAll(src.chunks)).equals(text));
    assert.equal(src.bytesRead(), text.length);
  });

  test("pooled read chunks (the importer's mode) give the same statements as fresh ones, and all go back", async () => {
    const file = join(dir, 'reuse.sql');
    writeFileSync(file, text);
    const statements = async (pool: BufferPool | undefined) => {
      const src = await openSqlSource(file, { chunkBytes: 4096, ...(pool ? { pool } : {}) });
      const out: string[] = [];
      for await (const s of splitStatements(src.chunks, { file, ...(pool ? { pool } : {}) })) {
        out.push(s.sql.toString());
        s.release();
      }
      assert.equal(src.bytesRead(), text.length);
      return out;
    };
    // Tiny size classes: nearly every statement is a view of its chunk.
    const pool = new BufferPool(1024 * 1024, 16);
    const pooled = await statements(pool);
    assert.equal(pooled.length, 4000);
    assert.deepEqual(pooled, await statements(undefined));
    assert.ok(pool.reused > 0, 'read chunks were reused');
    assert.equal(pool.outstanding, 0, 'every chunk went back to the pool');
  });

  test('gzip is recognised by its magic bytes, whatever the name; progress counts compressed bytes', async () => {
    const gz = gzipSync(text);
    const file = join(dir, 'misnamed.sql');
    writeFileSync(file, gz);
    const src = await openSqlSource(file, { chunkBytes: 1024 });
    assert.equal(src.compressed, true);
    assert.equal(src.sizeBytes, gz.length);
    const statements: string[] = [];
    for await (const s of splitStatements(src.chunks, { file })) statements.push(s.sql.toString());
    assert.equal(statements.length, 4000);
    assert.equal(statements[1], "INSERT INTO t VALUES ('x;y')");
    assert.equal(src.bytesRead(), gz.length);
  });

  test('concatenated gzip members (pigz, cat a.gz b.gz) are read whole', async () => {
    const file = join(dir, 'multi.sql.gz');
    writeFileSync(file, Buffer.concat([gzipSync('SELECT 1;\n'), gzipSync('SELECT 2;\n')]));
    const src = await openSqlSource(file);
    assert.equal((await readAll(src.chunks)).toString(), 'SELECT 1;\nSELECT 2;\n');
  });

  test('- reads standard input (size unknown), gzip or not', async () => {
    const plain = await openSqlSource('-', { stdin: Readable.from([text.subarray(0, 1), text.subarray(1)]) });
    assert.equal(plain.sizeBytes, undefined);
    assert.ok((await readAll(plain.chunks)).equals(text));
    const gz = gzipSync(text);
    // The magic bytes split across the first two chunks.
    const zipped = await openSqlSource('-', { stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1)]) });
    assert.equal(zipped.compressed, true);
    assert.ok((await readAll(zipped.chunks)).equals(text));
    assert.equal(zipped.bytesRead(), gz.length);
  });

  test('an empty input gives no bytes', async () => {
    const file = join(dir, 'empty.sql');
    writeFileSync(file, '');
    const src = await openSqlSource(file);
    assert.equal((await readAll(src.chunks)).length, 0);
  });

  test('a truncated gzip file is a DumpError that says so', async () => {
    const gz = gzipSync(text);
    const file = join(dir, 'cut.sql.gz');
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const src = await openSqlSource(file);
    await assert.rejects(readAll(src.chunks), (err: unknown) => {
      assert.ok(err instanceof DumpError);
      assert.match(err.message, /gzip stream ends early.*truncated or corrupt/);
      assert.match(err.hint ?? '', /gzip -t/);
      return true;
    });
  });

  test('a missing file or a directory is a ConfigError', async () => {
    await assert.rejects(openSqlSource(join(dir, 'nope.sql')), ConfigError);
    await assert.rejects(openSqlSource(dir), ConfigError);
  });
});
