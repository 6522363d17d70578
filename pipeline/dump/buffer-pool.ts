/**
 * Reusable buffers for statement text on the import's hot path.
 *
 * Every INSERT of a dump is a megabyte-sized Buffer that lives for a few milliseconds (split, queued,
 * sent, done). Allocated fresh, they are gigabytes of external memory per import, and V8 answers
 * external memory growth with full garbage collections: measured at 200,000 patches, a quarter of
 * the importer's own CPU went to the collector and to the kernel zeroing fresh pages. Buffers taken
 * from here and given back once the server has executed the statement are used again instead.
 *
 * Giving a buffer back is optional: one never released is simply collected, so a consumer that keeps
 * statements (tests, the SQL-file reader) is as correct as before. Releasing one still in use is
 * the bug to avoid: its bytes would be overwritten by a later statement. The pool takes back only
 * what it lent and has not had back yet, so a second release, or a buffer from elsewhere, is a
 * no-op rather than two owners of one buffer.
 *
 * The importer's read chunks come from the same pool (openSqlSource's `pool`): a big statement read
 * whole within one chunk is a view of it, and the chunk goes back once the splitter and every such
 * statement are done with it (splitter.ts).
 */

/** Smallest pooled size; smaller statements are cheap to allocate and are not pooled. */
export const MIN_POOLED_BYTES = 64 * 1024;
/** Largest pooled size; bigger statements (rare) are allocated and collected as usual. */
export const MAX_POOLED_BYTES = 64 * 1024 * 1024;
/** Free bytes kept for reuse, all sizes together: the pool's share of the memory bound. */
export const DEFAULT_POOL_FREE_BYTES = 48 * 1024 * 1024;

/** Size class of a request: the next power of two, at least `min`. */
export function sizeClass(bytes: number, min = MIN_POOLED_BYTES): number {
  if (bytes <= min) return min;
  return 2 ** Math.ceil(Math.log2(bytes));
}

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  /** Buffers handed out and not yet given back (for tests and leak checks). */
  outstanding = 0;
  /** Buffers handed out that came from the free lists (for tests and measurements). */
  reused = 0;
  /** The memory of every pooled buffer lent and not yet given back. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  /**
   * @param maxFreeBytes free bytes kept for reuse
   * @param minBytes smallest pooled size, a power of two (smaller statements are not pooled)
   */
  constructor(
    private readonly maxFreeBytes = DEFAULT_POOL_FREE_BYTES,
    readonly minBytes = MIN_POOLED_BYTES,
  ) {}

  /** Whether a buffer of this length can have come from {@link acquire} (and is worth giving back). */
  isPooled(b: Buffer): boolean {
    return b.length >= this.minBytes && b.length <= MAX_POOLED_BYTES && b.length === sizeClass(b.length, this.minBytes);
  }

  /** A buffer of at least `bytes` (its length is the size class; use a subarray). */
  acquire(bytes: number): Buffer {
    if (bytes > MAX_POOLED_BYTES) return Buffer.allocUnsafe(bytes);
    const size = sizeClass(bytes, this.minBytes);
    this.outstanding++;
    const list = this.free.get(size);
    let b = list?.pop();
    if (b !== undefined) {
      this.freeBytes -= size;
      this.reused++;
    } else {
      // allocUnsafeSlow: memory of its own (not a slice of Node's shared slab), so `lent` can know it.
      b = Buffer.allocUnsafeSlow(size);
    }
    this.lent.add(b.buffer);
    return b;
  }

  /** Whether `b` (a buffer from {@link acquire} or a view of one) is lent and not given back yet. */
  lends(b: Buffer): boolean {
    return this.lent.has(b.buffer);
  }

  /** Gives back the pooled buffer that `view` is part of, if it is one this pool lent. */
  releaseViewed(view: Buffer): void {
    if (!this.lent.has(view.buffer)) return;
    this.release(Buffer.from(view.buffer, 0, view.buffer.byteLength));
  }

  /** Gives back a buffer from {@link acquire}; pass the buffer itself, not a subarray of it. */
  release(b: Buffer): void {
    if (!this.isPooled(b) || b.byteOffset !== 0 || b.length !== b.buffer.byteLength || !this.lent.has(b.buffer)) return;
    this.lent.delete(b.buffer);
    const size = b.length;
    this.outstanding--;
    if (this.freeBytes + size > this.maxFreeBytes) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(b);
    this.freeBytes += size;
  }
}

/** The pool the splitter takes statement buffers from unless told otherwise. */
export const statementPool = new BufferPool();
