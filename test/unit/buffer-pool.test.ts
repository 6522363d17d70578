import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferPool, MAX_POOLED_BYTES, MIN_POOLED_BYTES, sizeClass } from '../../pipeline/dump/buffer-pool.js';
import { splitStatements } from '../../pipeline/dump/splitter.js';

describe('BufferPool', () => {
  test('size classes are powers of two from the minimum', () => {
    assert.equal(sizeClass(1), MIN_POOLED_BYTES);
    assert.equal(sizeClass(MIN_POOLED_BYTES + 1), 2 * MIN_POOLED_BYTES);
    assert.equal(sizeClass(1_000_000), 1024 * 1024);
    assert.equal(sizeClass(1024 * 1024), 1024 * 1024);
  });

  test('a released buffer is handed out again for the same size class', () => {
    const pool = new BufferPool();
    const a = pool.acquire(1_000_000);
    assert.equal(a.length, 1024 * 1024);
    pool.release(a);
    const b = pool.acquire(900_000);
    assert.equal(b, a);
    assert.equal(pool.reused, 1);
    assert.equal(pool.outstanding, 1);
  });

  test('free bytes are capped: buffers beyond the cap are left to the collector', () => {
    const pool = new BufferPool(MIN_POOLED_BYTES);
    const a = pool.acquire(10);
    const b = pool.acquire(10);
    pool.release(a);
    pool.release(b);
    assert.equal(pool.acquire(10), a);
    assert.notEqual(pool.acquire(10), b);
  });

  test('buffers it did not size (foreign, or over the largest class) are never taken in', () => {
    const pool = new BufferPool();
    pool.release(Buffer.alloc(1000));
    const big = pool.acquire(MAX_POOLED_BYTES + 1);
    assert.equal(big.length, MAX_POOLED_BYTES + 1);
    pool.release(big);
    assert.equal(pool.reused, 0);
    assert.notEqual(pool.acquire(100), big);
  });
});

describe('statement buffers from the splitter', () => {
  async function* chunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  }

  test('a big INSERT spanning chunks is one pooled buffer, reused after release; release twice is harmless', async () => {
    const pool = new BufferPool();
    const row = `('${'x'.repeat(1000)}')`;
    const insert = `INSERT INTO t VALUES ${Array(200).fill(row).join(',')}`;
    const text = Buffer.from(`${insert};\n${insert};\nSELECT 1;\n`);
    const got = [];
    for await (const s of splitStatements(chunks(text, 7000), { file: 'd.sql', pool })) {
      got.push(s.sql.toString('latin1'));
      s.release();
      s.release();
    }
    assert.deepEqual(got, [insert, insert, 'SELECT 1']);
    assert.ok(pool.reused >= 1, "the second INSERT reused the first one's buffer");
    assert.equal(pool.outstanding, 0);
  });
});
