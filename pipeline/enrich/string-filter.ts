/**
 * A Bloom-style bit filter in front of a large Map of strings. A probe of a Map of a million
 * keys is a few cache misses into tens of megabytes (≈ 200 ns each on our machines), and almost
 * every probe misses: most domains, URLs and hashes in events are on no list. Two bits per key in
 * a bit array of ~16 bits per key (a few hundred KB, mostly in cache) answer "certainly absent"
 * for ~98 % of those probes at the cost of hashing the string in JS (FNV-1a, a few ns per char).
 */
export class StringFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(keys: number) {
    // A power of two ≥ 16 bits per key, at least 2^12 bits.
    let size = 4096;
    while (size < keys * 16 && size < 2 ** 31) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(s: string): void {
    this.addHash(fnv1a(s));
  }

  /** Adds a key by its 32-bit hash (the same hash function must be used by mayHaveHash). */
  addHash(h: number): void {
    const a = h & this.mask;
    const b = Math.imul(h, 0x9e3779b1) >>> 0 & this.mask;
    this.bits[a >>> 5]! |= 1 << (a & 31);
    this.bits[b >>> 5]! |= 1 << (b & 31);
  }

  /** False: certainly not added. True: perhaps (ask the Map). */
  mayHave(s: string): boolean {
    return this.mayHaveHash(fnv1a(s));
  }

  mayHaveHash(h: number): boolean {
    const a = h & this.mask;
    if ((this.bits[a >>> 5]! & (1 << (a & 31))) === 0) return false;
    const b = Math.imul(h, 0x9e3779b1) >>> 0 & this.mask;
    return (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * fnv1a(s) when s.toLowerCase() is certainly s itself (no A–Z, nothing outside ASCII), else -1:
 * the common already-lower-case string is hashed in the pass that checks it, and not copied.
 */
export function fnv1aLower(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a over s[start…] read from the end backwards: a domain's parent domains are hashed on the way (see IndicatorSet.domain). */
export function fnv1aReverse(s: string, start = 0): number {
  let h = 0x811c9dc5;
  for (let i = s.length - 1; i >= start; i--) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The same for hex digests, which are their own hash: the first six hex digits index the bit
 * array directly (no pass over the string). One bit per key, ~16 bits per key: ~6 % of absent
 * hashes go on to the Map.
 */
export class HexFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(keys: number) {
    let size = 4096;
    while (size < keys * 16 && size < 2 ** 24) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(hex: string): void {
    const h = hex6(hex) & this.mask;
    this.bits[h >>> 5]! |= 1 << (h & 31);
  }

  /** `hex` lower-case, at least six digits. */
  mayHave(hex: string): boolean {
    return this.mayHaveValue(hex6(hex));
  }

  /** By the value of the first six digits (hexValue(s, 6)); false for -1. */
  mayHaveValue(h: number): boolean {
    if (h < 0) return false;
    const i = h & this.mask;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
}

/**
 * The value of the first `digits` (≤ 8) hex digits of s, upper or lower case, or -1 (shorter, or
 * not hex). Upper-case digits read as their lower-case selves: the value of s.toLowerCase().
 */
export function hexValue(s: string, digits: number): number {
  if (s.length < digits) return -1;
  let v = 0;
  for (let i = 0; i < digits; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** The value of the first six lower-case hex digits, or -1. */
function hex6(s: string): number {
  if (s.length < 6) return -1;
  let v = 0;
  for (let i = 0; i < 6; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
