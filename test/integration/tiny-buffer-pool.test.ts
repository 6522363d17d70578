/**
 * Why batches: on a server with a tiny buffer pool (8 MB), one INSERT ... SELECT over a few hundred
 * thousand rows holds a lock on every row it read in one transaction (at kernel.org's scale this
 * ran out of lock memory: ER_LOCK_TABLE_FULL, 1206), while the runner's batched version holds at
 * most about one batch of row locks at a time and completes with the same result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { localEngine } from '../../pipeline/engine/local.js';
import type { StartedServer } from '../../pipeline/engine/engine.js';
import { connect } from '../../pipeline/db/connection.js';
import { runMigration } from '../../pipeline/stages/migrate.js';
import { skip } from '../helpers/db.js';
import { batchStatement, boundFromRow, nextBoundQuery } from '../../transforms/core/range.js';
import type { BatchedStep } from '../../transforms/core/step.js';

const ROWS = 300_000;
const BATCH_ROWS = 5000;

type Row = Record<string, unknown>;

test('8 MB buffer pool: the unbatched INSERT ... SELECT locks every row in one transaction; the batched run locks about one batch and completes', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-tiny-pool-'));
  let server: StartedServer | undefined;
  try {
    server = await localEngine.start({ dir, database: 'x', options: { innodb_buffer_pool_size: '8M' } });
    const conn = await connect(server.address);
    try {
      const q = async (sql: string) => (await conn.query(sql))[0] as Row[];
      assert.equal(Number((await q('SELECT @@innodb_buffer_pool_size AS b'))[0]!['b']), 8 * 1024 * 1024);
      await q('CREATE TABLE src (id INT NOT NULL PRIMARY KEY, a INT NOT NULL, pad CHAR(50) NOT NULL) ENGINE=InnoDB');
      await q(`INSERT INTO src SELECT seq, seq % 97, REPEAT('x', 50) FROM seq_1_to_${ROWS}`);
      await q('CREATE TABLE dst LIKE src');

      // Unbatched, the way Django's RunSQL would send it; measured inside its transaction.
      let unbatched: { error?: number; rowsLocked?: number; lockMemory?: number; lockStructs?: number } = {};
      await q('START TRANSACTION');
      try {
        await q('INSERT INTO dst SELECT * FROM src');
        const trx = (await q('SELECT trx_rows_locked AS r, trx_lock_memory_bytes AS m, trx_lock_structs AS s FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()'))[0]!;
        unbatched = { rowsLocked: Number(trx['r']), lockMemory: Number(trx['m']), lockStructs: Number(trx['s']) };
      } catch (err) {
        unbatched = { error: Number((err as { errno?: number }).errno) };
      } finally {
        await q('ROLLBACK');
      }

      // One batch as the runner sends it (same builders), measured inside its transaction.
      const step: BatchedStep = { kind: 'batched', id: 'copy', title: 'copy src to dst', op: 'copy', driving: { table: 'src', alias: 's', key: ['id'] }, target: 'dst', sql: 'INSERT INTO dst SELECT s.* FROM src s WHERE {range}' };
      const after = [100_000];
      const bound = nextBoundQuery(step.driving, after, BATCH_ROWS);
      const [br] = await conn.query(bound.sql, bound.params);
      const upTo = boundFromRow(step.driving, (br as Row[])[0]);
      assert.deepEqual(upTo, [100_000 + BATCH_ROWS]);
      const one = batchStatement(step, { after, upTo });
      await q('START TRANSACTION');
      await conn.query(one.sql, one.params);
      const bt = (await q('SELECT trx_rows_locked AS r, trx_lock_memory_bytes AS m, trx_lock_structs AS s FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()'))[0]!;
      await q('ROLLBACK');
      const batch = { rowsLocked: Number(bt['r']), lockMemory: Number(bt['m']), lockStructs: Number(bt['s']) };

      const res = await runMigration({
        address: server.address,
        steps: [step],
        planOptions: { batchRows: BATCH_ROWS },
        batchRows: BATCH_ROWS,
        batchSeconds: 0,
        allowUnbatched: false,
      });
      assert.equal(res.status, 'done', res.error?.message);
      const done = res.steps[0]!;
      assert.equal(done.rows, ROWS);
      assert.equal(done.largestTransaction, BATCH_ROWS);
      assert.equal(done.batches, ROWS / BATCH_ROWS + 1); // the last bounded chunk ends at the last row; an empty final chunk follows
      const sums = await q('SELECT COUNT(*) AS n FROM dst');
      assert.equal(String(sums[0]!['n']), String(ROWS));
      const [c1] = (await conn.query('CHECKSUM TABLE src')) as unknown as [Row[]];
      const [c2] = (await conn.query('CHECKSUM TABLE dst')) as unknown as [Row[]];
      assert.equal(c1[0]!['Checksum'], c2[0]!['Checksum']);

      console.log(
        `tiny buffer pool (8 MB), ${ROWS} rows: unbatched INSERT ... SELECT ` +
          (unbatched.error ? `failed with error ${unbatched.error}` : `held ${unbatched.rowsLocked} row locks, ${unbatched.lockStructs} lock structs, ${unbatched.lockMemory} bytes of lock memory in one transaction`) +
          `; batched (${BATCH_ROWS} rows/batch): ${done.batches} transactions, largest ${done.largestTransaction} rows; ` +
          `one batch held ${batch.rowsLocked} row locks, ${batch.lockStructs} lock structs, ${batch.lockMemory} bytes of lock memory`,
      );
      if (unbatched.error !== undefined) assert.equal(unbatched.error, 1206);
      else assert.ok(unbatched.rowsLocked! >= ROWS, `the unbatched statement locks every row it reads (${unbatched.rowsLocked})`);
      // One batch locks its rows plus the next-key/gap locks at the chunk's edges.
      assert.ok(batch.rowsLocked <= BATCH_ROWS * 1.1 + 100, `a batch holds about batchRows row locks (saw ${batch.rowsLocked})`);
      if (unbatched.rowsLocked !== undefined) assert.ok(unbatched.rowsLocked >= 50 * batch.rowsLocked);
    } finally {
      await conn.end();
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
