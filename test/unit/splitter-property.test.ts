import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DumpError } from '../../pipeline/errors.js';
import { BufferPool } from '../../pipeline/dump/buffer-pool.js';
import { splitStatements, type Statement } from '../../pipeline/dump/splitter.js';
import { chunkSizesArbitrary, dumpArbitrary } from '../helpers/sql-arbitraries.js';

async function* chunked(input: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let off = 0;
  for (let k = 0; off < input.length; k++) {
    const size = sizes[k % sizes.length]!;
    yield input.subarray(off, off + size);
    off += size;
  }
}

async function split(input: Buffer, sizes: number[]): Promise<Statement[]> {
  const out: Statement[] = [];
  for await (const s of splitStatements(chunked(input, sizes), { file: 'prop.sql' })) out.push(s);
  return out;
}

/** Comparable form: byte-exact sql as hex, so a failure shows which bytes differ. */
function view(st: { sql: Buffer; offset: number; line: number; delimiter: string }[]): unknown[] {
  return st.map((s) => ({ sql: s.sql.toString('latin1'), offset: s.offset, line: s.line, delimiter: s.delimiter }));
}

describe('splitStatements (property)', () => {
  test('returns exactly the modelled statements, whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(dumpArbitrary(), chunkSizesArbitrary, async (model, sizes) => {
        const got = await split(model.bytes, sizes);
        assert.deepEqual(view(got), view(model.statements));
      }),
      { numRuns: 400 },
    );
  });

  test('a dump cut anywhere gives statements or a DumpError, never another failure', async () => {
    await fc.assert(
      fc.asyncProperty(dumpArbitrary({ maxStatements: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), chunkSizesArbitrary, async (model, at, sizes) => {
        const cut = model.bytes.subarray(0, Math.floor(model.bytes.length * at));
        try {
          const got = await split(cut, sizes);
          for (const s of got) assert.ok(s.offset + s.sql.length <= cut.length);
        } catch (err) {
          if (!(err instanceof DumpError)) throw err;
          assert.ok(err.location.offset <= cut.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The importer's memory reuse, at its worst: every chunk is read into a buffer from the pool that
 * statement buffers also come from, big statements are views of their chunks, the pool has tiny
 * size classes (so nearly every statement is pooled or a view, and released memory is handed out
 * again at once), and whatever goes back to the pool is scribbled over there: a chunk or
 * statement given back while a statement still reads it would show up as a changed statement.
 */
describe('splitStatements with reused memory (property)', () => {
  class ScribblingPool extends BufferPool {
    override release(b: Buffer): void {
      if (this.lends(b)) b.fill(0x3f);
      super.release(b);
    }
  }

  async function* pooled(input: Buffer, sizes: number[], pool: BufferPool): AsyncGenerator<Buffer> {
    let off = 0;
    for (let k = 0; off < input.length; k++) {
      const size = Math.min(sizes[k % sizes.length]!, input.length - off);
      const chunk = pool.acquire(size);
      input.copy(chunk, 0, off, off + size);
      yield chunk.subarray(0, size);
      off += size;
    }
  }

  test('statements kept are intact and released ones were right when used, whatever is reused', async () => {
    await fc.assert(
      fc.asyncProperty(dumpArbitrary(), chunkSizesArbitrary, fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), async (model, sizes, releases) => {
        const pool = new ScribblingPool(1024, 16);
        const kept: Array<{ got: Statement; want: (typeof model.statements)[number] }> = [];
        let k = 0;
        for await (const s of splitStatements(pooled(model.bytes, sizes, pool), { file: 'prop.sql', pool })) {
          const want = model.statements[k++];
          assert.ok(want !== undefined, 'more statements than modelled');
          assert.deepEqual(view([s]), view([want]));
          if (releases[k % releases.length]) s.release();
          else kept.push({ got: s, want });
        }
        assert.equal(k, model.statements.length);
        for (const { got, want } of kept) assert.deepEqual(view([got]), view([want]));
        // Once the kept ones are released too, every chunk and statement buffer is back.
        for (const { got } of kept) got.release();
        assert.equal(pool.outstanding, 0);
      }),
      { numRuns: 400 },
    );
  });
});
