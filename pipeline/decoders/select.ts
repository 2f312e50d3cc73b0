/**
 * Routes a message to its decoder without trying every decoder. Per message:
 *  1. candidates by exact program (one Map lookup) and by literal prefix (one walk down a trie of
 *     all prefixes, as deep as the longest prefix that matches), merged in priority order;
 *  2. only when none of those claimed it: candidates by `contains` literals, found in one pass
 *     over the message by an Aho–Corasick automaton over all literals;
 *  3. only when still unclaimed: the keyless fallbacks, in priority order.
 * `facilities` and `senders` are checked on each candidate. The first decoder that returns
 * non-null wins. The cost per message depends on the message and on how many decoders share its
 * keys, not on how many decoders are loaded.
 */
import { cidrMatcher, parseCidr } from '../detect/modifiers/cidr';
import type { IpNet } from '../detect/modifiers/types';
import type { DecodeResult, Decoder, DecoderInput } from './types';

export interface DecoderSet {
  readonly decoders: readonly Decoder[];
  /** The first candidate's non-null result, or null when no decoder claimed the message. A thrown error becomes `{ok:false}`. */
  decode(input: DecoderInput): { decoder: Decoder; result: DecodeResult } | null;
  /** Candidates in the order `decode` would try them (for tests and `haetae decoders list`). */
  candidates(input: DecoderInput): Decoder[];
}

interface Entry {
  decoder: Decoder;
  /** Position in priority order (priority, then load order): merging lists compares this. */
  rank: number;
  facilities: ReadonlySet<number> | null;
  /** Sender networks (detect/modifiers/cidr.ts matchers), or null: any sender. */
  senders: Array<(ip: unknown) => boolean> | null;
}

interface TrieNode {
  next: Map<number, TrieNode>;
  entries: Entry[];
  /**
   * The merged candidate lists of messages whose deepest prefix match is this node, by the
   * program's list (null: no program match): the path to a node is fixed, so the merge is too.
   */
  merged: Map<Entry[] | null, Entry[]> | null;
}

export function createDecoderSet(decoders: readonly Decoder[]): DecoderSet {
  const ordered = decoders.map((d, i) => ({ d, i })).sort((a, b) => a.d.priority - b.d.priority || a.i - b.i);
  const entries: Entry[] = ordered.map(({ d }, rank) => ({
    decoder: d,
    rank,
    facilities: d.select.facilities && d.select.facilities.length > 0 ? new Set(d.select.facilities) : null,
    senders: d.select.senders && d.select.senders.length > 0 ? d.select.senders.map(parseCidr).filter((c): c is IpNet => c !== null).map(cidrMatcher) : null,
  }));

  const byProgram = new Map<string, Entry[]>();
  const trie: TrieNode = { next: new Map(), entries: [], merged: null };
  const literals: Array<{ text: string; entries: Entry[] }> = [];
  const literalIndex = new Map<string, Entry[]>();
  const fallbacks: Entry[] = [];
  for (const e of entries) {
    const s = e.decoder.select;
    const programs = s.programs ?? [];
    const prefixes = s.prefixes ?? [];
    const contains = s.contains ?? [];
    for (const p of new Set(programs)) push(byProgram, p, e);
    for (const p of new Set(prefixes)) {
      let node = trie;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        let n = node.next.get(c);
        if (!n) { n = { next: new Map(), entries: [], merged: null }; node.next.set(c, n); }
        node = n;
      }
      node.entries.push(e);
    }
    for (const c of new Set(contains)) {
      let list = literalIndex.get(c);
      if (!list) { list = []; literalIndex.set(c, list); literals.push({ text: c, entries: list }); }
      list.push(e);
    }
    if (programs.length === 0 && prefixes.length === 0 && contains.length === 0) fallbacks.push(e);
  }
  const ac = literals.length > 0 ? buildAhoCorasick(literals.map((l) => l.text)) : null;

  const eligible = (e: Entry, input: DecoderInput): boolean => {
    if (e.facilities !== null && (input.facility === undefined || !e.facilities.has(input.facility))) return false;
    return e.senders === null || e.senders.some((m) => m(input.sender));
  };

  /**
   * Program and prefix candidates in priority order; among equal priorities the longer matched
   * prefix first (a program match counts as no prefix), then load order. The common cases — one
   * program list, or one prefix level — are already in that order and cost no sort.
   */
  const keyed = (input: DecoderInput): Entry[] | null => {
    const byProg = input.program !== undefined ? byProgram.get(input.program) : undefined;
    const msg = input.message;
    let node: TrieNode | undefined = trie;
    let deepest: TrieNode | null = null;
    let count = 0;
    for (let i = 0; i < msg.length && node.next.size > 0; i++) {
      node = node.next.get(msg.charCodeAt(i));
      if (!node) break;
      if (node.entries.length > 0) { deepest = node; count++; }
    }
    if (deepest === null) return byProg ?? null;
    if (byProg === undefined && count === 1) return deepest.entries;
    const key = byProg ?? null;
    const cached = deepest.merged?.get(key);
    if (cached !== undefined) return cached;
    // First message with this program list and this deepest prefix: merge, and keep the merge.
    const levels: Array<{ depth: number; entries: Entry[] }> = [];
    node = trie;
    for (let i = 0; node !== deepest; i++) {
      node = node.next.get(msg.charCodeAt(i))!;
      if (node.entries.length > 0) levels.push({ depth: i + 1, entries: node.entries });
    }
    const depth = new Map<Entry, number>();
    for (const e of byProg ?? []) depth.set(e, 0);
    for (const l of levels) for (const e of l.entries) if ((depth.get(e) ?? -1) < l.depth) depth.set(e, l.depth);
    const merged = [...depth.keys()].sort((x, y) => x.decoder.priority - y.decoder.priority || depth.get(y)! - depth.get(x)! || x.rank - y.rank);
    (deepest.merged ??= new Map()).set(key, merged);
    return merged;
  };

  const containsCandidates = (msg: string): Entry[] | null => {
    if (ac === null) return null;
    const found = ac.search(msg);
    if (found === null) return null;
    if (found.length === 1) return literals[found[0]!]!.entries;
    // The merge depends only on which literals occur: kept per set of literals (a bit mask while
    // there are at most 30 of them, a number for two or three, else their sorted indices), bounded.
    let key: number | string;
    if (literals.length <= 30) {
      key = 0;
      for (let i = 0; i < found.length; i++) key |= 1 << found[i]!;
    } else if (found.length <= 3 && literals.length <= 32768) {
      // The usual case with more literals: two or three of them, in 15 bits each.
      let a = found[0]!;
      let b = found[1]!;
      let c = found.length === 3 ? found[2]! : 0;
      if (a > b) { const t = a; a = b; b = t; }
      if (found.length === 3) {
        if (b > c) { const t = b; b = c; c = t; }
        if (a > b) { const t = a; a = b; b = t; }
      }
      key = found.length * 2 ** 48 + a * 2 ** 30 + b * 2 ** 15 + c;
    } else {
      key = found.slice().sort((a, b) => a - b).join(',');
    }
    const cached = mergedContains.get(key);
    if (cached !== undefined) return cached;
    const seen = new Set<Entry>();
    for (const i of found) for (const e of literals[i]!.entries) seen.add(e);
    const merged = [...seen].sort((a, b) => a.rank - b.rank);
    if (mergedContains.size < 1024) mergedContains.set(key, merged);
    return merged;
  };
  const mergedContains = new Map<number | string, Entry[]>();

  const run = (e: Entry, input: DecoderInput): DecodeResult | null => {
    try {
      return e.decoder.decode(input);
    } catch (err) {
      // A decoder must not throw; if one does, the event is tagged instead of lost.
      return { ok: false, reason: `decoder threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  };

  return {
    decoders: ordered.map(({ d }) => d),
    decode(input) {
      const first = keyed(input);
      if (first !== null) {
        for (let i = 0; i < first.length; i++) {
          const e = first[i]!;
          if (!eligible(e, input)) continue;
          const result = run(e, input);
          if (result !== null) return { decoder: e.decoder, result };
        }
      }
      for (const list of [containsCandidates(input.message), fallbacks]) {
        if (list === null) continue;
        for (let i = 0; i < list.length; i++) {
          const e = list[i]!;
          if ((first !== null && first.includes(e)) || !eligible(e, input)) continue;
          const result = run(e, input);
          if (result !== null) return { decoder: e.decoder, result };
        }
      }
      return null;
    },
    candidates(input) {
      const out: Decoder[] = [];
      const seen = new Set<Decoder>();
      for (const list of [keyed(input), containsCandidates(input.message), fallbacks]) {
        for (const e of list ?? []) if (!seen.has(e.decoder) && eligible(e, input)) { seen.add(e.decoder); out.push(e.decoder); }
      }
      return out;
    },
  };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/**
 * Aho–Corasick over UTF-16 code units: one pass over the text finds every literal that occurs
 * (overlapping ones included), in time linear in the text plus the matches.
 */
export function buildAhoCorasick(words: readonly string[]): { search(text: string): number[] | null } {
  const next: Array<Map<number, number>> = [new Map()];
  const fail: number[] = [0];
  const out: number[][] = [[]];
  words.forEach((w, wi) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const c = w.charCodeAt(i);
      let t = next[s]!.get(c);
      if (t === undefined) {
        t = next.length;
        next.push(new Map());
        fail.push(0);
        out.push([]);
        next[s]!.set(c, t);
      }
      s = t;
    }
    out[s]!.push(wi);
  });
  // Breadth-first: each state's failure link is the longest proper suffix that is also a state.
  const queue: number[] = [];
  for (const t of next[0]!.values()) queue.push(t);
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    for (const [c, t] of next[s]!) {
      queue.push(t);
      let f = fail[s]!;
      while (f !== 0 && !next[f]!.has(c)) f = fail[f]!;
      const ft = next[f]!.get(c);
      fail[t] = ft !== undefined && ft !== t ? ft : 0;
      out[t] = [...out[t]!, ...out[fail[t]!]!];
    }
  }
  const rootNext = next[0]!;
  // Fast path: in the root state, skip characters no literal starts with (a bitmap over code
  // units 0..65535), so a line without '%' costs one array read per character for '%ASA-'-style literals.
  const starts = new Uint8Array(65536);
  for (const c of rootNext.keys()) starts[c] = 1;
  // Transitions on ASCII code units in one flat table (state * 128 + unit → state, -1: none);
  // other units go through the state's Map.
  const dense = new Int32Array(next.length * 128).fill(-1);
  next.forEach((m, st) => { for (const [c, t] of m) if (c < 128) dense[st * 128 + c] = t; });
  const step = (st: number, c: number): number => (c < 128 ? dense[st * 128 + c]! : (next[st]!.get(c) ?? -1));
  // The automaton's whole move on ASCII units, failure links already followed (state * 128 + unit
  // → next state, 0 when none): what the loop in search computes, one table read per character.
  // States in breadth-first order, so a state's failure state has its row before it.
  const delta = new Int32Array(next.length * 128);
  for (const st of [0, ...queue]) {
    for (let c = 0; c < 128; c++) {
      const t = dense[st * 128 + c]!;
      delta[st * 128 + c] = t !== -1 ? t : st === 0 ? 0 : delta[fail[st]! * 128 + c]!;
    }
  }
  const hasOut = new Uint8Array(next.length);
  out.forEach((o, st) => { hasOut[st] = o.length > 0 ? 1 : 0; });
  const only = rootNext.size === 1 ? [...rootNext.keys()][0]! : -1;
  const onlyChar = only >= 0 ? String.fromCharCode(only) : '';
  return {
    search(text) {
      let s = 0;
      let found: number[] | null = null;
      const n = text.length;
      for (let i = 0; i < n; i++) {
        if (s === 0 && only >= 0) {
          // One first character among all literals: let the native indexOf find the next one.
          i = text.indexOf(onlyChar, i);
          if (i < 0) break;
        }
        const c = text.charCodeAt(i);
        if (c < 128) {
          s = delta[s * 128 + c]!;
        } else {
          if (s === 0 && starts[c] === 0) continue;
          let t = step(s, c);
          while (t === -1 && s !== 0) {
            s = fail[s]!;
            t = step(s, c);
          }
          s = t === -1 ? 0 : t;
        }
        if (hasOut[s] === 1) {
          found ??= [];
          for (const w of out[s]!) if (!found.includes(w)) found.push(w);
        }
      }
      return found;
    },
  };
}
