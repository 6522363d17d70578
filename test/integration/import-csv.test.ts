/**
 * CSV directory round trip on the real server: export → import (LOAD DATA and INSERT loaders) →
 * the same rows (CHECKSUM TABLE) and the same schema; hand-made files and refusals.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportCsvDir, pageQuery, escapeCsvValue } from '../../pipeline/dump/csv-writer.js';
import { importCsvDir, unescapeField, loadDataSql } from '../../pipeline/dump/csv-dir.js';
import { splitStatements } from '../../pipeline/dump/splitter.js';
import { DumpError } from '../../pipeline/errors.js';
import { connect, qid } from '../../pipeline/db/connection.js';
import type { TableInfo } from '../../pipeline/db/introspect.js';
import { skip, testDatabase } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/csv/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'drydock-csv-'));
const dbs: TestDatabase[] = [];
let src: TestDatabase | undefined;

before(async () => {
  if (skip) return;
  src = await testDatabase('t_import_csv_src');
  dbs.push(src);
  for await (const s of splitStatements(createReadStream(fixture('source.sql')), { file: 'source.sql' })) await src.conn.query(s.sql.toString('utf8'));
});
after(async () => {
  for (const d of dbs) await d.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function fresh(name: string): Promise<TestDatabase> {
  const d = await testDatabase(name);
  dbs.push(d);
  return d;
}

async function checksums(d: TestDatabase, tables: string[]): Promise<unknown[]> {
  const [r] = await d.conn.query(`CHECKSUM TABLE ${tables.map(qid).join(', ')} EXTENDED`);
  return (r as Array<{ Checksum: unknown }>).map((x) => x.Checksum);
}

async function createSql(d: TestDatabase, table: string): Promise<string> {
  const [r] = await d.conn.query(`SHOW CREATE TABLE ${qid(table)}`);
  return String((r as Array<Record<string, unknown>>)[0]?.['Create Table']);
}

test('escaping and unescaping are LOAD DATA\'s, and NULL is \\N', () => {
  for (const s of ['', 'plain', '\\N', 'a\\b', 'nul\0', '\\\\0', 'NULL', 'tab\t', 'end\\']) assert.equal(unescapeField(escapeCsvValue(s)), s);
  assert.equal(unescapeField('\\N'), null);
  assert.equal(unescapeField('a\\nb\\tc\\Zd\\qe'), 'a\nb\tc\x1adqe', 'unknown escapes give the character itself');
});

test('keyset pages expand composite keys; LOAD DATA maps binary and BIT columns through variables', () => {
  const t: TableInfo = {
    name: 'book',
    columns: [
      { name: 'a', type: 'int(11)', nullable: false, default: null, extra: '', position: 1 },
      { name: 'b', type: 'int(11)', nullable: false, default: null, extra: '', position: 2 },
      { name: 'raw', type: 'blob', nullable: true, default: null, extra: '', position: 3 },
      { name: 'f', type: 'bit(3)', nullable: true, default: null, extra: '', position: 4 },
    ],
    primaryKey: ['a', 'b'],
    indexes: [],
    foreignKeys: [],
    rowEstimate: 0,
    createSql: '',
  };
  assert.deepEqual(pageQuery(t, ['a', 'b'], 10, undefined), { sql: 'SELECT `a`, `b`, HEX(`raw`), `f` + 0 FROM `book` ORDER BY `a`, `b` LIMIT 10', values: [] });
  assert.deepEqual(pageQuery(t, ['a', 'b'], 10, [1, 2]), {
    sql: 'SELECT `a`, `b`, HEX(`raw`), `f` + 0 FROM `book` WHERE (`a` > ?) OR (`a` = ? AND `b` > ?) ORDER BY `a`, `b` LIMIT 10',
    values: [1, 1, 2],
  });
  assert.equal(
    loadDataSql('/d/book.csv', t, ['a', 'b', 'raw', 'f'], '\n'),
    "LOAD DATA LOCAL INFILE '/d/book.csv' INTO TABLE `book` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
      'IGNORE 1 LINES (`a`, `b`, @v2, @v3) SET `raw` = UNHEX(@v2), `f` = CAST(@v3 AS UNSIGNED)',
  );
});

test('round trip: export, then import with LOAD DATA and with INSERTs gives the same rows and schema', { skip }, async () => {
  const dir = join(tmp, 'export');
  const tables = ['author', 'book', 'log_nokey'];
  const ex = await exportCsvDir({ address: src!.address, dir, pageRows: 2 }); // tiny pages: keyset paging really runs
  assert.deepEqual(
    ex.tables.map((t) => [t.name, t.rows]),
    [
      ['author', 7],
      ['book', 4],
      ['log_nokey', 4],
    ],
  );
  const want = await checksums(src!, tables);
  for (const method of ['load-data', 'insert'] as const) {
    const dst = await fresh(`t_import_csv_${method.replace('-', '_')}`);
    const r = await importCsvDir({ address: dst.address, dir, method, batchRows: 3 });
    assert.deepEqual(r.tables, [
      { name: 'author', rows: 7, method },
      { name: 'book', rows: 4, method },
      { name: 'log_nokey', rows: 4, method },
    ]);
    assert.deepEqual(await checksums(dst, tables), want, `${method}: same rows`);
    for (const t of tables) assert.equal(await createSql(dst, t), await createSql(src!, t), `${method}: same schema for ${t}`);
    const [rows] = await dst.conn.query("SELECT id, name IS NULL AS n FROM author WHERE name IN ('\\\\N', 'NULL') ORDER BY id");
    assert.deepEqual(rows, [
      { id: 3, n: 0 },
      { id: 4, n: 0 },
    ], 'the strings \\N and NULL stay strings');
  }
});

test('a hand-made CSV with CRLF lines, quoted commas and \\N loads the same with either loader', { skip }, async () => {
  for (const method of ['load-data', 'insert'] as const) {
    const dst = await fresh(`t_import_csv_hand_${method.replace('-', '_')}`);
    const r = await importCsvDir({ address: dst.address, dir: fixture('handmade'), method });
    assert.deepEqual(r.tables, [{ name: 'patchwork_person', rows: 3, method }]);
    const [rows] = await dst.conn.query('SELECT id, email, name, user_id FROM patchwork_person ORDER BY id');
    assert.deepEqual(rows, [
      { id: 1, email: 'a@example.org', name: 'Doe, Jane', user_id: 7 },
      { id: 2, email: 'b@example.org', name: null, user_id: null },
      { id: 3, email: 'c@example.org', name: 'say "hi"', user_id: 9 },
    ]);
  }
});

test('refusals name the file, the table and what to do', { skip }, async () => {
  const dst = await fresh('t_import_csv_bad');
  await assert.rejects(importCsvDir({ address: dst.address, dir: fixture('bad-header') }), (e: unknown) => {
    assert.ok(e instanceof DumpError);
    assert.match(e.message, /header column\(s\) mail do not exist in table patchwork_person/);
    assert.equal(e.location.line, 1);
    return true;
  });
  const orphan = join(tmp, 'orphan');
  mkdirSync(orphan);
  writeFileSync(join(orphan, 'nosuch.csv'), 'id\n1\n');
  await dst.reset();
  await assert.rejects(importCsvDir({ address: dst.address, dir: orphan }), /nosuch\.csv has no table nosuch in database t_import_csv_bad/);
  // A value LOAD DATA would silently coerce (LOCAL turns errors into warnings) is an error; INSERTs refuse it too.
  const coerced = join(tmp, 'coerced');
  mkdirSync(coerced);
  copyFileSync(fixture('handmade/schema.sql'), join(coerced, 'schema.sql'));
  writeFileSync(join(coerced, 'patchwork_person.csv'), 'id,email,name,user_id\n1,a@x,"n",\n');
  for (const method of ['load-data', 'insert'] as const) {
    await dst.reset();
    await assert.rejects(importCsvDir({ address: dst.address, dir: coerced, method }), method === 'load-data' ? /LOAD DATA reported 1 warning\(s\).*Incorrect integer value/ : /inserting into patchwork_person .* Incorrect integer value/);
  }
  // LOAD DATA LOCAL would skip a duplicate with a warning; a bulk load into an empty table fails at COMMIT.
  writeFileSync(join(coerced, 'patchwork_person.csv'), 'id,email,name,user_id\n1,a@x,"n",1\n2,a@x,"dup",3\n');
  for (const method of ['load-data', 'insert'] as const) {
    await dst.reset();
    await assert.rejects(importCsvDir({ address: dst.address, dir: coerced, method }), (e: unknown) => {
      assert.match((e as Error).message, /patchwork_person/);
      if (method === 'load-data') assert.match((e as { hint?: string }).hint ?? '', /duplicate|does not fit/);
      return true;
    });
  }
  // A row with the wrong field count points at its line.
  const short = 'id,email,name,user_id\n1,a@x,"multi\nline",1\n2,b@x\n';
  writeFileSync(join(coerced, 'patchwork_person.csv'), short);
  await dst.reset();
  await assert.rejects(importCsvDir({ address: dst.address, dir: coerced, method: 'insert' }), (e: unknown) => {
    assert.ok(e instanceof DumpError);
    assert.match(e.message, /row has 2 fields, the header 4/);
    assert.deepEqual(e.location, { file: join(coerced, 'patchwork_person.csv'), offset: short.indexOf('2,b@x'), line: 4 });
    return true;
  });
});

test('local_infile is turned on when off (auto method)', { skip }, async () => {
  const admin = await connect(src!.address);
  try {
    await admin.query('SET GLOBAL local_infile = 0');
    const dst = await fresh('t_import_csv_auto');
    const r = await importCsvDir({ address: dst.address, dir: fixture('handmade') });
    assert.equal(r.tables[0]?.method, 'load-data');
  } finally {
    await admin.query('SET GLOBAL local_infile = 1');
    await admin.end();
  }
});
