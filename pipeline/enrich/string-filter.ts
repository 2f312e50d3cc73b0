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
    const h = fnv1a(s);
    const a = h & this.mask;
    const b = Math.imul(h, 0x9e3779b1) >>> 0 & this.mask;
    this.bits[a >>> 5]! |= 1 << (a & 31);
    this.bits[b >>> 5]! |= 1 << (b & 31);
  }

  /** False: certainly not added. True: perhaps (ask the Map). */
  mayHave(s: string): boolean {
    const h = fnv1a(s);
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
    const h = hex6(hex);
    if (h < 0) return false;
    const i = h & this.mask;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
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
