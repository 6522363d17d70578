/**
 * Malformed dumps stop the import with the place (byte offset, line), the table and the start of
 * the statement, and never leave the broken table recorded as complete.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importDump, LEDGER_TABLE } from '../../pipeline/stages/import.js';
import { statementError } from '../../pipeline/dump/loader.js';
import { DumpError, StageError, exitCodeFor, EXIT_CODES } from '../../pipeline/errors.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';

let dir = '';
let db: TestDatabase | undefined;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'drydock-import-errors-'));
  db = await testDatabase('t_import_errors');
});

after(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HEADER = `/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
DROP TABLE IF EXISTS \`good\`;
CREATE TABLE \`good\` (
  \`id\` int(11) NOT NULL,
  \`v\` varchar(20) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`v\` (\`v\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES \`good\` WRITE;
INSERT INTO \`good\` VALUES (1,'a'),(2,'b');
UNLOCK TABLES;
CREATE TABLE \`bad\` (
  \`id\` int(11) NOT NULL,
  \`v\` varchar(20) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`v\` (\`v\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO \`bad\` VALUES (1,'x');
`;

/** Writes HEADER + tail; returns the path and where `tail` starts (offset, line). */
function dumpWith(name: string, tail: string | Buffer): { file: string; offset: number; line: number } {
  const head = Buffer.from(HEADER, 'utf8');
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([head, Buffer.isBuffer(tail) ? tail : Buffer.from(tail, 'utf8')]));
  return { file, offset: head.length, line: HEADER.split('\n').length };
}

/** `broken`: the table whose load the error interrupts, never to be recorded complete. */
async function expectDumpError(file: string, broken = 'bad'): Promise<DumpError> {
  await db!.reset();
  const err = await importDump({ address: db!.address, dump: file, threads: 2 }).then(
    () => assert.fail('the import should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
  assert.equal(exitCodeFor(err), EXIT_CODES.input);
  const [ledger] = (await db!.conn.query(`SELECT table_name, done FROM ${LEDGER_TABLE}`)) as [Array<{ table_name: string; done: number }>, unknown];
  const done = ledger.filter((l) => l.done).map((l) => l.table_name);
  if (broken) assert.ok(!done.includes(broken), `${broken} recorded complete: ${done.join(',')}`);
  return err;
}

test('a dump cut inside a string', { skip }, async () => {
  const at = dumpWith('cut-string.sql', "INSERT INTO `bad` VALUES (2,'y'),(3,'trunc");
  const e = await expectDumpError(at.file);
  assert.equal(e.location.offset, at.offset);
  assert.equal(e.location.line, at.line);
  assert.equal(e.table, 'bad');
  assert.ok(e.excerpt?.startsWith('INSERT INTO `bad` VALUES (2'), e.excerpt);
});

test('a dump cut after a complete row (no delimiter)', { skip }, async () => {
  const at = dumpWith('cut-row.sql', "INSERT INTO `bad` VALUES (2,'y'),(3,'z')");
  const e = await expectDumpError(at.file);
  assert.equal(e.location.offset, at.offset);
  assert.equal(e.location.line, at.line);
  assert.equal(e.table, 'bad');
  assert.match(e.message, /truncated/);
});

test('an unterminated string swallows the rest of the dump', { skip }, async () => {
  const at = dumpWith('unterminated.sql', "INSERT INTO `bad` VALUES (2,'y);\nINSERT INTO `bad` VALUES (3,'z');\n");
  const e = await expectDumpError(at.file);
  assert.equal(e.location.offset, at.offset);
  assert.equal(e.location.line, at.line);
  assert.equal(e.table, 'bad');
});

test('garbage bytes between statements', { skip }, async () => {
  const at = dumpWith('garbage.sql', Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x42]), Buffer.from(' junk;\nINSERT INTO `late` VALUES (2);\n')]));
  // `bad` is complete up to here (a resumed run reloads only rows that come later in the dump).
  const e = await expectDumpError(at.file, '');
  assert.equal(e.location.offset, at.offset);
  assert.equal(e.location.line, at.line);
  assert.match(e.message, /syntax/);
  assert.ok(e.excerpt !== undefined && e.excerpt.length > 0);
});

test('an INSERT into a table the dump never creates', { skip }, async () => {
  const at = dumpWith('unknown.sql', "INSERT INTO `nosuch` VALUES (1);\n");
  const e = await expectDumpError(at.file);
  assert.equal(e.location.offset, at.offset);
  assert.equal(e.location.line, at.line);
  assert.equal(e.table, 'nosuch');
  assert.equal(e.excerpt, 'INSERT INTO `nosuch` VALUES (1)');
});

test('a row the server rejects (duplicate key) names table, offset and line', { skip }, async () => {
  const tail = "INSERT INTO `bad` VALUES (2,'y');\nINSERT INTO `bad` VALUES (1,'dup');\n";
  const at = dumpWith('duplicate.sql', tail);
  const e = await expectDumpError(at.file);
  // Rows of one table load in parallel, so the statement that fails is whichever of the two
  // duplicates reached the server second.
  const first = Buffer.byteLength(HEADER) - "INSERT INTO `bad` VALUES (1,'x');\n".length;
  const second = at.offset + tail.indexOf("INSERT INTO `bad` VALUES (1,'dup')");
  assert.ok(e.location.offset === first || e.location.offset === second, e.message);
  assert.equal(e.location.line, e.location.offset === first ? at.line - 1 : at.line + 1);
  assert.equal(e.table, 'bad');
  assert.match(e.message, /Duplicate entry/);
  // A failure stops the workers at once: `good`'s key build may still have been queued then, so
  // `good` may or may not be recorded complete, but whatever is recorded complete really is.
  const [ledger] = (await db!.conn.query(`SELECT table_name FROM ${LEDGER_TABLE} WHERE done = 1`)) as [Array<{ table_name: string }>, unknown];
  const done = ledger.map((l) => l.table_name);
  assert.ok(done.every((t) => t === 'good'), `recorded complete: ${done.join(',')}`);
  if (done.includes('good')) {
    const [rows] = (await db!.conn.query('SELECT id, v FROM `good` ORDER BY id')) as [Array<{ id: number; v: string }>, unknown];
    assert.deepEqual(rows.map((r) => [r.id, r.v]), [[1, 'a'], [2, 'b']]);
    const [keys] = (await db!.conn.query("SHOW INDEX FROM `good` WHERE Key_name = 'v'")) as [unknown[], unknown];
    assert.equal(keys.length, 1, 'good is recorded complete without its secondary key');
  }
});

test('a lost connection is reported as the server going away, with the place', () => {
  const err = statementError(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }), 'd.sql', {
    offset: 10,
    line: 2,
    sql: Buffer.from('INSERT INTO t VALUES (1)'),
  }, 't');
  assert.ok(err instanceof StageError);
  assert.match(err.message, /lost the connection.*d\.sql at byte 10, line 2, table t/);
});
