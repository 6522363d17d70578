/**
 * Opens a SQL dump for the splitter: a `.sql` file, a gzip-compressed file (recognised by its magic
 * bytes, whatever its name), or `-` for standard input.
 */

import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ConfigError, DumpError } from '../errors.js';
import type { BufferPool } from './buffer-pool.js';

/**
 * 4 MiB reads: fewer statements straddle two reads (so the splitter copies fewer of them into one
 * buffer) and per-chunk work vanishes; still a small, fixed read-ahead next to a statement.
 */
export const DEFAULT_READ_CHUNK_BYTES = 4 * 1024 * 1024;

export interface SqlSource {
  /** The input's name as given (`-` for stdin), for messages. */
  readonly name: string;
  /** Whether the input is gzip-compressed. */
  readonly compressed: boolean;
  /**
   * The input's size in bytes as stored (the compressed size for gzip), or undefined when unknown
   * (stdin, pipes). Compare with {@link SqlSource.bytesRead} for progress.
   */
  readonly sizeBytes: number | undefined;
  /** The decompressed bytes. Iterate once. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes consumed from the input so far, as stored (compressed bytes for gzip). */
  bytesRead(): number;
}

export interface OpenSqlSourceOptions {
  /** Stream used for `-`; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Read size in bytes; default {@link DEFAULT_READ_CHUNK_BYTES}. */
  chunkBytes?: number;
  /**
   * Read an uncompressed file into buffers from this pool instead of a fresh one per read
   * (gigabytes of short-lived external memory cost the importer a full garbage collection every
   * few reads). A chunk stays valid until its consumer gives it back (`pool.releaseViewed`), as
   * splitStatements does when given the same pool; one never given back is simply collected.
   */
  pool?: BufferPool;
}

export async function openSqlSource(input: string, opts: OpenSqlSourceOptions = {}): Promise<SqlSource> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_READ_CHUNK_BYTES;
  let raw: AsyncIterable<Buffer>;
  let sizeBytes: number | undefined;
  if (input === '-') {
    raw = (opts.stdin ?? process.stdin) as AsyncIterable<Buffer>;
  } else {
    let st;
    try {
      st = await stat(input);
    } catch (err) {
      throw new ConfigError(`cannot read the dump ${input}: ${(err as Error).message}`, {
        hint: 'check the path, or pass - to read the dump from standard input',
        cause: err,
      });
    }
    if (st.isDirectory()) {
      throw new ConfigError(`the dump ${input} is a directory, expected a .sql or .sql.gz file`, {
        hint: 'pass the dump file itself',
      });
    }
    sizeBytes = st.isFile() ? st.size : undefined;
    raw = opts.pool && st.isFile() && !(await isGzipFile(input)) ? readPooled(input, chunkBytes, opts.pool) : createReadStream(input, { highWaterMark: chunkBytes });
  }

  const counter = { bytes: 0 };
  const { first, rest } = await peek(raw, 2);
  const compressed = hasGzipMagic(first);
  const counted = countBytes(first, rest, counter);
  const chunks = compressed ? gunzip(counted, input, chunkBytes) : counted;
  return {
    name: input,
    compressed,
    sizeBytes,
    chunks,
    bytesRead: () => counter.bytes,
  };
}

/** Whether bytes start with gzip's magic number (how compression is recognised, whatever the name). */
function hasGzipMagic(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Whether a file starts with gzip's magic bytes. */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return hasGzipMagic(b.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** A file's bytes in chunks, each read into a buffer from `pool` that its consumer gives back. */
async function* readPooled(path: string, chunkBytes: number, pool: BufferPool): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const b = pool.acquire(chunkBytes);
      const { bytesRead } = await fh.read(b, 0, chunkBytes, null);
      if (bytesRead === 0) {
        pool.release(b);
        return;
      }
      yield b.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Reads until at least `want` bytes (or the end) are in hand, without losing the rest of the stream. */
async function peek(
  src: AsyncIterable<Buffer>,
  want: number,
): Promise<{ first: Buffer; rest: AsyncIterator<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let len = 0;
  while (len < want) {
    const r = await it.next();
    if (r.done) break;
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    got.push(b);
    len += b.length;
  }
  // One chunk is passed on as it is (a pooled one can then go back to its pool).
  return { first: got.length === 1 ? got[0]! : Buffer.concat(got, len), rest: it };
}

async function* countBytes(
  first: Buffer,
  rest: AsyncIterator<Buffer>,
  counter: { bytes: number },
): AsyncGenerator<Buffer> {
  if (first.length > 0) {
    counter.bytes += first.length;
    yield first;
  }
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    counter.bytes += r.value.length;
    yield r.value;
  }
}

async function* gunzip(src: AsyncIterable<Buffer>, name: string, chunkBytes: number): AsyncGenerator<Buffer> {
  // Node's gunzip also reads concatenated gzip members (pigz, `cat a.gz b.gz`).
  const z = createGunzip({ chunkSize: Math.min(chunkBytes, 1024 * 1024) });
  // pipeline, not pipe: a read error must reach the consumer instead of stalling it.
  const piped = pipeline(src, z, () => {});
  let produced = 0;
  try {
    for await (const chunk of piped as AsyncIterable<Buffer>) {
      produced += chunk.length;
      yield chunk;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'Z_BUF_ERROR' ? 'the gzip stream ends early' : 'the gzip data is corrupt';
    throw new DumpError(
      `${what} (${(err as Error).message}): the file is truncated or corrupt`,
      // The line is not known here; the splitter knows lines, the decompressor only bytes.
      { file: name, offset: produced, line: 0 },
      {
        hint: 're-create the dump, or check that the copy finished (compare its size with the original; `gzip -t` tests it)',
        cause: err,
      },
    );
  }
}
