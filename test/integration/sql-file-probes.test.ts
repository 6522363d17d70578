/**
 * The "already applied" probes of raw SQL migrations, against a real server: false before the
 * ALTER, true after it, so a run killed between the ALTER and its checkpoint skips it on resume
 * instead of failing on a duplicate name.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { alterProbe } from '../../transforms/core/sql-file.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase | undefined;

before(async () => {
  if (skip) return;
  db = await testDatabase('t_sql_file_probes');
});

after(async () => {
  await db?.close();
});

async function applied(probe: string): Promise<boolean> {
  const [r] = (await db!.conn.query(probe)) as [unknown[], unknown];
  return r.length > 0;
}

test('DROP DEFAULT (NOT NULL and nullable columns), with an index added in the same ALTER', { skip }, async () => {
  await db!.conn.query('CREATE TABLE p (id INT PRIMARY KEY, archived TINYINT(1) NOT NULL DEFAULT 0, note VARCHAR(5) NULL DEFAULT NULL, tag VARCHAR(5) NULL DEFAULT \'x\')');
  for (const sql of [
    'ALTER TABLE p ALTER COLUMN archived DROP DEFAULT, ADD INDEX by_archived (archived)',
    'ALTER TABLE p ALTER note DROP DEFAULT',
    'ALTER TABLE `p` ALTER COLUMN `tag` DROP DEFAULT',
  ]) {
    const probe = alterProbe(sql);
    assert.ok(probe, sql);
    // A nullable column whose default is already NULL is in the clause's end state from the start.
    if (!sql.includes('note')) assert.equal(await applied(probe), false, `before: ${sql}`);
    await db!.conn.query(sql);
    assert.equal(await applied(probe), true, `after: ${sql}`);
  }
});
