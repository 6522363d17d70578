/**
 * tableDigest: exact counts and a row digest in bounded statements (keyset chunks), whatever the
 * chunk size, that tells every changed value apart, NULL from '' included.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { introspect } from '../../pipeline/db/introspect.js';
import { tableDigest } from '../../pipeline/db/table-digest.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase | undefined;

before(async () => {
  if (skip) return;
  db = await testDatabase('t_table_digest');
  const q = (sql: string) => db!.conn.query(sql);
  await q(`CREATE TABLE simple (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL, body TEXT, n DECIMAL(10,2), at DATETIME(6), raw VARBINARY(8), l VARCHAR(10) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4`);
  await q(`INSERT INTO simple VALUES
    (1,'a','Grüße 😀',1.50,'2024-01-02 03:04:05.000006',0x00ff,'é'),
    (2,NULL,'',NULL,NULL,NULL,NULL),
    (3,'',NULL,0,'2024-01-02 03:04:05','',''),
    (5,'x','y',-2,'1999-12-31 23:59:59',0x41,'z'),
    (8,'p','q',3,'2000-01-01 00:00:00',0x42,'w')`);
  await q(`CREATE TABLE composite (k VARCHAR(10) NOT NULL, n INT NOT NULL, v INT, PRIMARY KEY (k, n)) DEFAULT CHARSET=utf8mb4`);
  await q(`INSERT INTO composite VALUES ('a',2,1),('a',1,2),('b',1,3),('c',9,4),('c',10,5),('d',0,NULL)`);
  await q(`CREATE TABLE nokey (v INT)`);
  await q(`CREATE TABLE empty_t (id INT PRIMARY KEY)`);
});

after(async () => {
  await db?.close();
});

const digest = async (table: string, chunkRows?: number) => {
  const info = (await introspect(db!.conn, db!.address.database)).tables.get(table)!;
  return tableDigest(db!.conn, db!.address.database, info, chunkRows === undefined ? {} : { chunkRows });
};

test('the same digest and count whatever the chunk size; chunks are bounded', { skip }, async () => {
  for (const table of ['simple', 'composite']) {
    const whole = await digest(table);
    assert.equal(whole?.chunks, 1);
    for (const size of [1, 2, 4]) {
      const chunked = await digest(table, size);
      assert.equal(chunked?.rows, whole?.rows, `${table} by ${size}`);
      assert.equal(chunked?.digest, whole?.digest, `${table} by ${size}`);
      assert.ok(chunked!.chunks >= Math.ceil(whole!.rows / size), `${table} by ${size}: ${chunked!.chunks} chunks`);
    }
  }
  assert.equal((await digest('simple'))?.rows, 5);
  assert.equal((await digest('composite'))?.rows, 6);
  assert.deepEqual(await digest('empty_t', 2), { rows: 0, digest: '00000000', chunks: 1 });
});

test('any changed value changes the digest, NULL and empty string included; a table without a primary key has none', { skip }, async () => {
  const before = (await digest('simple', 2))!.digest;
  for (const [change, undo] of [
    ["UPDATE simple SET name = '' WHERE id = 2", 'UPDATE simple SET name = NULL WHERE id = 2'],
    ["UPDATE simple SET body = NULL WHERE id = 2", "UPDATE simple SET body = '' WHERE id = 2"],
    ["UPDATE simple SET l = 'e' WHERE id = 1", "UPDATE simple SET l = 'é' WHERE id = 1"],
    ['UPDATE simple SET at = ADDTIME(at, 0.000001) WHERE id = 1', 'UPDATE simple SET at = SUBTIME(at, 0.000001) WHERE id = 1'],
    ['UPDATE simple SET id = 4 WHERE id = 5', 'UPDATE simple SET id = 5 WHERE id = 4'],
  ] as const) {
    await db!.conn.query(change);
    assert.notEqual((await digest('simple', 2))!.digest, before, change);
    await db!.conn.query(undo);
    assert.equal((await digest('simple', 2))!.digest, before, undo);
  }
  assert.equal(await digest('nokey'), undefined);
});
