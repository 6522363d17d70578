/**
 * A small seeded PRNG for the generator. Not for anything secret.
 *
 * Every generated object draws from its own stream, keyed by (seed, stream name, index), so any
 * row can be recomputed on its own. That is what lets the generator write tables in the dump's
 * alphabetical order (comments before the patches they belong to) without holding anything.
 */

/** murmur3's finaliser: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable 32-bit hash of a short string (FNV-1a then fmix32), for naming streams. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Combines a seed, a stream id and an index into one well-mixed 32-bit seed. */
export function mixSeed(seed: number, stream: number, index: number): number {
  let h = fmix32((seed ^ 0x9e3779b9) >>> 0);
  h = fmix32((h ^ stream) >>> 0);
  h = fmix32((h + Math.imul(index, 0x27d4eb2d) + (Math.floor(index / 0x100000000) | 0)) >>> 0);
  return h;
}

/** mulberry32: 32 bits of state, fast, and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A long-tailed size: log-normal around `median`, clamped to [min, max]. With sigma ~1 most
   * values sit within a few times the median and a few land far out, like real patch sizes.
   */
  longTail(median: number, sigma: number, min: number, max: number): number {
    const v = Math.round(median * Math.exp(sigma * this.normal()));
    return Math.min(max, Math.max(min, v));
  }

  /** Geometric count >= 0 with the given mean. */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const p = 1 / (1 + mean);
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }

  /**
   * Zipf-like rank in [0, n): log-uniform, so P(rank k) ~ 1/k. Needs no table, which matters
   * when n is the number of persons.
   */
  zipfRank(n: number): number {
    const r = Math.floor(Math.exp(this.next() * Math.log(n + 1))) - 1;
    return Math.min(n - 1, Math.max(0, r));
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

/** Returns the Rng for one object of one stream. */
export function rngFor(seed: number, stream: number, index: number): Rng {
  return new Rng(mixSeed(seed, stream, index));
}

/** Weighted choice over a fixed list, by binary search on the cumulative weights. */
export class WeightedPicker<T> {
  private readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    if (entries.length === 0) throw new RangeError('WeightedPicker needs at least one entry');
    this.items = entries.map((e) => e[0]);
    this.cumulative = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach(([, w], i) => {
      if (!(w >= 0)) throw new RangeError(`weight ${w} at ${i} must be >= 0`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new RangeError('weights must not all be zero');
    this.total = sum;
  }

  pick(rng: Rng): T {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}
