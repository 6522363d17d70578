import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skip, testDatabase } from '../helpers/db.js';

test('the shared test server answers and is MariaDB or MySQL', { skip }, async () => {
  const db = await testDatabase('t_engine_smoke');
  try {
    const [rows] = await db.conn.query('SELECT VERSION() AS v, @@log_bin AS binlog');
    const r = (rows as Array<{ v: string; binlog: number }>)[0]!;
    assert.match(r.v, /\d+\.\d+/);
    assert.equal(Number(r.binlog), 0, 'a scratch server must not write a binary log');
  } finally {
    await db.close();
  }
});
