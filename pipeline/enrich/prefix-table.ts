/**
 * Longest-prefix match over many networks, compiled once. IPv4 networks and addresses are
 * flattened into sorted, disjoint ranges, each carrying the value of the most specific network
 * that covers it, held in one typed array of [start, end, value] triples (a million entries in
 * ~12 MB, nothing for the garbage collector to walk), with a first-level index on the top 16 address bits: a lookup reads one
 * index slot and binary-searches the few ranges starting in that /16 — two or three cache misses,
 * where a plain binary search over a million ranges costs twenty. No per-prefix-length loop and
 * no trie of objects. IPv6 keeps exact addresses in an open-addressing table of 128-bit keys
 * (hash-table.ts) and networks as sorted ranges of four-word numbers, so a lookup never builds a
 * BigInt.
 *
 * Values are non-negative integers (indexes into the caller's own tables); -1 means no match.
 * When the same network is added twice, the first value is kept.
 */
import { W4Table } from './hash-table';
import { cmp6, toAddr, words6, type Addr, type Ip, type Network } from './ip';

/**
 * IPv4 ranges interleaved as [start, end, value] triples in one array, so the range a search
 * ends on is one cache line, not three; `index` holds the first range starting in each /16.
 */
interface Ranges4 {
  triples: Uint32Array;
  count: number;
  index: Uint32Array;
  /** One bit per /16: set when some range holds an address in it (8 KB, stays in cache). */
  used: Uint32Array;
}
/** IPv6 ranges as [start words, end words] octets of uint32, and their values. */
interface Ranges6 { words: Uint32Array; values: Int32Array; count: number }

export class PrefixTable {
  constructor(
    private readonly exact6: W4Table,
    private readonly ranges4: Ranges4,
    private readonly ranges6: Ranges6,
    /** Networks held (after de-duplication). */
    readonly size: number,
  ) {}

  static readonly EMPTY = new PrefixTable(new W4Table([], []), ranges4([], [], []), ranges6([], [], []), 0);

  lookup(ip: Ip): number {
    return ip.v === 4 ? this.lookup4(ip.n) : this.lookupAddr(toAddr(ip));
  }

  /** The per-event form (parseAddressShared's result). */
  lookupAddr(a: Addr): number {
    return a.v === 4 ? this.lookup4(a.n) : this.lookup6(a.w);
  }

  lookup4(n: number): number {
    const { triples, count, index, used } = this.ranges4;
    if (count === 0) return -1; // a feed without IPv4: not even a read of the index
    const bucket = n >>> 16;
    // A /16 no indicator reaches: neither the index nor the ranges are read.
    if ((used[bucket >>> 5]! & (1 << (bucket & 31))) === 0) return -1;
    let lo = index[bucket]!;
    let hi = index[bucket + 1]! - 1;
    // Ends at the last range starting at or before n: in this /16, or else the one before it.
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (triples[mid * 3]! <= n) lo = mid + 1; else hi = mid - 1;
    }
    return hi >= 0 && n <= triples[hi * 3 + 1]! ? triples[hi * 3 + 2]! : -1;
  }

  /** `w`: the address's four words, most significant first. */
  lookup6(w: Uint32Array): number {
    const hit = this.exact6.get(w[0]!, w[1]!, w[2]!, w[3]!);
    if (hit >= 0) return hit;
    const { words, values, count } = this.ranges6;
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp6(w, words, mid * 8) >= 0) lo = mid + 1; else hi = mid - 1;
    }
    return hi >= 0 && cmp6(w, words, hi * 8 + 4) <= 0 ? values[hi]! : -1;
  }
}

export class PrefixTableBuilder {
  /** Only while building, to report an address listed twice. */
  private readonly exact4 = new Set<number>();
  private readonly exact6 = new Map<bigint, number>();
  private readonly nets4: Array<{ start: number; end: number; prefix: number; value: number }> = [];
  private readonly nets6: Array<{ start: bigint; end: bigint; prefix: number; value: number }> = [];

  /** False when the exact address was already present (the first value stays). */
  add(net: Network, value: number): boolean {
    if (net.v === 4) {
      if (net.prefix === 32) {
        if (this.exact4.has(net.start as number)) return false;
        this.exact4.add(net.start as number);
      }
      this.nets4.push({ start: net.start as number, end: net.end as number, prefix: net.prefix, value });
    } else if (net.prefix === 128) {
      if (this.exact6.has(net.start as bigint)) return false;
      this.exact6.set(net.start as bigint, value);
    } else {
      this.nets6.push({ start: net.start as bigint, end: net.end as bigint, prefix: net.prefix, value });
    }
    return true;
  }

  build(): PrefixTable {
    const r4 = flatten(this.nets4, (a, b) => a - b);
    const r6 = flatten(this.nets6, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const exactWords = new Uint32Array(this.exact6.size * 4);
    const exactValues: number[] = [];
    for (const [n, v] of this.exact6) { words6(n, exactWords, exactValues.length * 4); exactValues.push(v); }
    return new PrefixTable(new W4Table(exactWords, exactValues), ranges4(r4.starts, r4.ends, r4.values), ranges6(r6.starts, r6.ends, r6.values), this.exact6.size + r4.kept + r6.kept);
  }
}

function ranges4(starts: number[], ends: number[], values: number[]): Ranges4 {
  const count = starts.length;
  const triples = new Uint32Array(count * 3);
  for (let i = 0; i < count; i++) { triples[i * 3] = starts[i]!; triples[i * 3 + 1] = ends[i]!; triples[i * 3 + 2] = values[i]!; }
  const index = new Uint32Array(65537);
  let i = 0;
  for (let b = 0; b <= 65536; b++) {
    const first = b * 65536;
    while (i < count && starts[i]! < first) i++;
    index[b] = i;
  }
  const used = new Uint32Array(65536 / 32);
  for (let r = 0; r < count; r++) {
    for (let b = starts[r]! >>> 16, last = ends[r]! >>> 16; b <= last; b++) used[b >>> 5]! |= 1 << (b & 31);
  }
  return { triples, count, index, used };
}

function ranges6(starts: bigint[], ends: bigint[], values: number[]): Ranges6 {
  const count = starts.length;
  const words = new Uint32Array(count * 8);
  for (let i = 0; i < count; i++) { words6(starts[i]!, words, i * 8); words6(ends[i]!, words, i * 8 + 4); }
  return { words, values: Int32Array.from(values), count };
}

/**
 * Networks are nested or disjoint, never partly overlapping. Sorted by start, widest first, a
 * sweep with a stack of the networks still open emits, for every stretch of addresses, the value
 * of the innermost open network: that is longest-prefix match precomputed.
 */
function flatten<N extends number | bigint>(nets: Array<{ start: N; end: N; prefix: number; value: number }>, cmp: (a: N, b: N) => number): { starts: N[]; ends: N[]; values: number[]; kept: number } {
  // Stable sort: for the same network twice, the one added first comes first and is kept.
  nets.sort((a, b) => cmp(a.start, b.start) || a.prefix - b.prefix);
  const starts: N[] = [];
  const ends: N[] = [];
  const values: number[] = [];
  const one = (typeof nets[0]?.start === 'bigint' ? 1n : 1) as N;
  const next = (x: N): N => ((x as number) + (one as number)) as N; // N is number or bigint, never mixed
  const prev = (x: N): N => ((x as number) - (one as number)) as N;
  const emit = (s: N, e: N, v: number): void => {
    if (cmp(s, e) > 0) return;
    // Adjacent stretches with the same value merge, so the table stays as small as it can.
    const last = values.length - 1;
    if (last >= 0 && values[last] === v && cmp(next(ends[last]!), s) === 0) { ends[last] = e; return; }
    starts.push(s); ends.push(e); values.push(v);
  };
  const stack: Array<{ start: N; end: N; prefix: number; value: number }> = [];
  let cursor: N | null = null; // the first address not yet emitted (null: nothing open)
  let kept = 0;
  for (const net of nets) {
    while (stack.length > 0 && cmp(stack[stack.length - 1]!.end, net.start) < 0) {
      const top = stack.pop()!;
      emit(cursor!, top.end, top.value);
      cursor = next(top.end);
    }
    const top = stack[stack.length - 1];
    if (top && top.start === net.start && top.prefix === net.prefix) continue; // duplicate network
    if (top) emit(cursor!, prev(net.start), top.value);
    cursor = net.start;
    stack.push(net);
    kept++;
  }
  while (stack.length > 0) {
    const top = stack.pop()!;
    emit(cursor!, top.end, top.value);
    cursor = next(top.end);
  }
  return { starts, ends, values, kept };
}
