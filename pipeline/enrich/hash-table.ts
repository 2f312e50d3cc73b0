/**
 * Open-addressing hash tables in typed arrays, for the per-event lookups into large sets (100,000
 * assets, hundreds of thousands of indicators). A JS Map of that size is a few dependent cache
 * misses per probe (bucket, entry chain, the key object itself) and, keyed by BigInt, hashes only
 * the low 64 bits (every 2001:db8:…::x address of a /64 in one chain). Here a probe reads one
 * slot — key (or the key's 32-bit hash) and value side by side in one array — and touches the key
 * string only when the hashes agree. Linear probing, load factor ≤ 2/3, built once, never resized.
 * Values are non-negative integers (indexes into the caller's tables); -1 means absent.
 */

/** Slots for `n` keys: a power of two ≥ 1.5 n (≥ 16). Returns log2. */
function bitsFor(n: number): number {
  let bits = 4;
  while ((1 << bits) < n * 1.5 && bits < 30) bits++;
  return bits;
}

/** Fibonacci hashing: the top bits of h × 2^32/φ, as a slot number. */
const slotOf = (h: number, shift: number): number => Math.imul(h, 0x9e3779b1) >>> shift;

/** uint32 → value. Slots are [key, value + 1] pairs; value + 1 = 0 marks an empty slot. */
export class U32Table {
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(keys: ArrayLike<number>, values: ArrayLike<number>) {
    const bits = bitsFor(keys.length);
    this.slots = new Uint32Array(2 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]! >>> 0;
      let i = slotOf(key, this.shift);
      while (this.slots[i * 2 + 1] !== 0 && this.slots[i * 2] !== key) i = (i + 1) & this.mask;
      if (this.slots[i * 2 + 1] === 0) { this.slots[i * 2] = key; this.slots[i * 2 + 1] = values[k]! + 1; } // the first value of a key stays
    }
  }

  get(key: number): number {
    const s = this.slots;
    let i = slotOf(key, this.shift);
    for (;;) {
      const v = s[i * 2 + 1]!;
      if (v === 0) return -1;
      if (s[i * 2] === key) return v - 1;
      i = (i + 1) & this.mask;
    }
  }
}

/** 128-bit keys as four uint32 words (an IPv6 address, most significant first) → value. */
export class W4Table {
  /** Slots of five words: the key's four, then value + 1 (0: empty). */
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly shift: number;
  readonly size: number;

  /** `words` holds the keys one after the other, four words each. */
  constructor(words: ArrayLike<number>, values: ArrayLike<number>) {
    const n = values.length;
    const bits = bitsFor(n);
    this.slots = new Uint32Array(5 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    let size = 0;
    for (let k = 0; k < n; k++) {
      const a = words[k * 4]! >>> 0, b = words[k * 4 + 1]! >>> 0, c = words[k * 4 + 2]! >>> 0, d = words[k * 4 + 3]! >>> 0;
      let i = slotOf(mix4(a, b, c, d), this.shift);
      for (;;) {
        const o = i * 5;
        if (this.slots[o + 4] === 0) { this.slots[o] = a; this.slots[o + 1] = b; this.slots[o + 2] = c; this.slots[o + 3] = d; this.slots[o + 4] = values[k]! + 1; size++; break; }
        if (this.slots[o] === a && this.slots[o + 1] === b && this.slots[o + 2] === c && this.slots[o + 3] === d) break;
        i = (i + 1) & this.mask;
      }
    }
    this.size = size;
  }

  get(a: number, b: number, c: number, d: number): number {
    if (this.size === 0) return -1;
    const s = this.slots;
    let i = slotOf(mix4(a, b, c, d), this.shift);
    for (;;) {
      const o = i * 5;
      const v = s[o + 4]!;
      if (v === 0) return -1;
      if (s[o + 3] === d && s[o + 2] === c && s[o + 1] === b && s[o] === a) return v - 1;
      i = (i + 1) & this.mask;
    }
  }
}

function mix4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x811c9dc5, 0x01000193);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  h = Math.imul(h ^ d, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/**
 * String keys filed by a 32-bit hash the caller computes (so one pass over an event's string
 * serves a bit filter and this table, and a domain's parent domains are hashed without slicing
 * them off). Slots are [hash, index + 1]; `keys[index]` is compared only when the hashes agree.
 */
export class StringTable {
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly shift: number;
  /** Each key once, in the order given. */
  readonly keys: string[];
  readonly values: number[];

  constructor(entries: Iterable<[string, number]>, size: number, hash: (key: string) => number) {
    const bits = bitsFor(size);
    this.slots = new Uint32Array(2 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.keys = [];
    this.values = [];
    for (const [key, value] of entries) {
      const h = hash(key) >>> 0;
      let i = slotOf(h, this.shift);
      let dup = false;
      while (this.slots[i * 2 + 1] !== 0) {
        if (this.slots[i * 2] === h && this.keys[this.slots[i * 2 + 1]! - 1] === key) { dup = true; break; }
        i = (i + 1) & this.mask;
      }
      if (dup) continue;
      this.slots[i * 2] = h;
      this.slots[i * 2 + 1] = this.keys.length + 1;
      this.keys.push(key);
      this.values.push(value);
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** The value of `key` (whose hash is `h`), or -1. */
  get(h: number, key: string): number {
    h >>>= 0;
    const s = this.slots;
    let i = slotOf(h, this.shift);
    for (;;) {
      const k = s[i * 2 + 1]!;
      if (k === 0) return -1;
      if (s[i * 2] === h && this.keys[k - 1] === key) return this.values[k - 1]!;
      i = (i + 1) & this.mask;
    }
  }

  /** The value of the key equal to text.slice(start) (whose hash is `h`), or -1; nothing is sliced. */
  getSuffix(h: number, text: string, start: number): number {
    h >>>= 0;
    const s = this.slots;
    const len = text.length - start;
    let i = slotOf(h, this.shift);
    for (;;) {
      const k = s[i * 2 + 1]!;
      if (k === 0) return -1;
      if (s[i * 2] === h) {
        const key = this.keys[k - 1]!;
        if (key.length === len && text.endsWith(key)) return this.values[k - 1]!;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** get() for lower-case keys and a `text` that may be upper-case (hex digests). */
  getHex(h: number, text: string): number {
    h >>>= 0;
    const s = this.slots;
    let i = slotOf(h, this.shift);
    for (;;) {
      const k = s[i * 2 + 1]!;
      if (k === 0) return -1;
      if (s[i * 2] === h) {
        const key = this.keys[k - 1]!;
        if (key.length === text.length && (key === text || key === text.toLowerCase())) return this.values[k - 1]!;
      }
      i = (i + 1) & this.mask;
    }
  }
}

/**
 * String keys whose characters live in one flat string beside the table, so verifying a hit reads
 * the slot and then the key's characters — not an array of strings and then a string object,
 * two more cache misses. Slots are [hash, index + 1, offset, length]. For tables probed mostly
 * by keys that are present (host names of the sending devices, most of them inventoried).
 */
export class InlineStringTable {
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly shift: number;
  private readonly chars: string;
  readonly size: number;

  /** `keys` distinct; `values[i]` ≥ 0 is the value of keys[i]; hashed with `hash`. */
  constructor(keys: readonly string[], values: readonly number[], hash: (key: string) => number) {
    const bits = bitsFor(keys.length);
    this.slots = new Uint32Array(4 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.size = keys.length;
    let offset = 0;
    for (let k = 0; k < keys.length; k++) {
      const h = hash(keys[k]!) >>> 0;
      let i = slotOf(h, this.shift);
      while (this.slots[i * 4 + 1] !== 0) i = (i + 1) & this.mask;
      this.slots[i * 4] = h;
      this.slots[i * 4 + 1] = values[k]! + 1;
      this.slots[i * 4 + 2] = offset;
      this.slots[i * 4 + 3] = keys[k]!.length;
      offset += keys[k]!.length;
    }
    this.chars = keys.join('');
  }

  /** The value of `key` (whose hash is `h`), or -1. */
  get(h: number, key: string): number {
    h >>>= 0;
    const s = this.slots;
    const len = key.length;
    let i = slotOf(h, this.shift);
    for (;;) {
      const o = i * 4;
      const v = s[o + 1]!;
      if (v === 0) return -1;
      if (s[o] === h && s[o + 3] === len) {
        const chars = this.chars;
        let at = s[o + 2]!;
        let j = 0;
        while (j < len && chars.charCodeAt(at) === key.charCodeAt(j)) { j++; at++; }
        if (j === len) return v - 1;
      }
      i = (i + 1) & this.mask;
    }
  }
}
