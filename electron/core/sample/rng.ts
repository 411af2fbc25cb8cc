/**
 * Small deterministic PRNG and id helpers for the sample generator.
 * Never Math.random or the clock: the same seed must give a byte-identical bundle.
 */

/** murmur3 finalizer: a good 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mix several 32-bit integers into one seed (order-sensitive). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = fmix32((h ^ fmix32((p >>> 0) + 0x7f4a7c15)) + 0x632be59b);
  }
  return h;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HEX8: string[] = [];
for (let i = 0; i < 256; i++) HEX8.push(i.toString(16).padStart(2, '0'));

/** The 10-char time part of a ULID, memoised for the last millisecond (ids of one run share a few). */
let ulidMs = -1;
let ulidMsText = '';
function ulidTime(ms: number): string {
  if (ms !== ulidMs) {
    let t = ms;
    let s = '';
    for (let i = 0; i < 10; i++) {
      s = CROCKFORD[t % 32]! + s;
      t = Math.floor(t / 32);
    }
    ulidMs = ms;
    ulidMsText = s;
  }
  return ulidMsText;
}

/**
 * mulberry32: tiny, fast, good enough for synthetic data. Its state is 32 bits and the streams of different
 * seeds overlap, so ids drawn from it alone would repeat across a million runs (seen: 88 OPA decision ids
 * twice in a 1M-run bundle). A `salt` (e.g. the run's index) is folded into every id word: the ids of two
 * Rngs with different salts differ even where their streams meet.
 */
export class Rng {
  private s: number;
  private readonly idMix: number;
  constructor(seed: number, salt = 0) {
    this.s = seed >>> 0;
    this.idMix = salt === 0 ? 0 : fmix32((salt >>> 0) ^ 0x5bd1e995) || 1;
  }
  /** A 32-bit word for ids (salted). */
  private idWord(): number {
    return (this.u32() ^ this.idMix) >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** float in [lo, hi) */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.next() * arr.length)]!;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Log-normal with the given median and sigma, clamped. */
  logNormal(median: number, sigma: number, lo: number, hi: number): number {
    const x = median * Math.exp(sigma * this.normal());
    return Math.min(hi, Math.max(lo, x));
  }
  /** n lowercase hex chars (n even). */
  hex(n: number): string {
    let s = '';
    while (s.length < n) {
      const x = this.idWord();
      s += HEX8[x & 0xff]! + HEX8[(x >>> 8) & 0xff]! + HEX8[(x >>> 16) & 0xff]! + HEX8[x >>> 24]!;
    }
    return s.length === n ? s : s.slice(0, n);
  }
  /** Non-zero hex id (trace ids 32, span ids 16). */
  hexId(n: 16 | 32): string {
    let s = this.hex(n);
    if (/^0+$/.test(s)) s = `1${s.slice(1)}`;
    return s;
  }
  /** Lowercase base-32 (Crockford alphabet) string of n chars. */
  b32(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += CROCKFORD[this.u32() & 31];
    return s.toLowerCase();
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.u32() % 10);
    return s;
  }
  uuid4(): string {
    const h = this.hex(32);
    const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  /** UUIDv7 for the given epoch milliseconds (as OpenLineage producers emit). */
  uuid7(ms: number): string {
    const t = Math.floor(ms).toString(16).padStart(12, '0');
    const h = this.hex(20);
    const v = ((parseInt(h[3]!, 16) & 0x3) | 0x8).toString(16);
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-${v}${h.slice(4, 7)}-${h.slice(8, 20)}`;
  }
  /** ULID (26 chars, Crockford base 32) for the given epoch milliseconds. */
  ulid(ms: number): string {
    let out = ulidTime(Math.floor(ms));
    let a = this.idWord();
    let b = this.idWord();
    let c = this.idWord();
    for (let i = 10; i < 26; i++) {
      out += CROCKFORD[a & 31]!;
      a = (a >>> 5) | ((b & 31) << 27);
      b = (b >>> 5) | ((c & 31) << 27);
      c = c >>> 5;
    }
    return out;
  }
}
