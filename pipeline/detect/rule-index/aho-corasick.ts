/**
 * Aho–Corasick over a fixed set of (already lowercased) patterns, built once into a full DFA: one
 * Int32Array row per state over a compressed alphabet (the characters that occur in some pattern,
 * plus class 0 for every other character, which always leads back to the root). Scanning is one
 * table lookup per character of the text, whatever the number of patterns; no allocation.
 *
 * Hot-path layout: a transition holds the target's row offset (state × width), not its number, so
 * the scan adds instead of multiplying; and it is stored as `~offset` (negative) when the target
 * state has outputs, so the common step — a state that ends no pattern — reads one table entry and
 * nothing else (the output tables are touched only on a hit).
 */
export class AhoCorasick {
  readonly states: number;
  readonly patterns: readonly string[];
  /** ASCII char code → class; non-ASCII through `wideClass`. */
  private readonly asciiClass = new Uint16Array(128);
  private readonly wideClass = new Map<number, number>();
  private readonly width: number;
  private readonly delta: Int32Array;
  /** Outputs of state s (own and inherited through failure links): outIds[outStart[s] .. outStart[s+1]). */
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns;
    let classes = 1;
    for (const p of patterns) {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (c < 128) { if (this.asciiClass[c] === 0) this.asciiClass[c] = classes++; } else if (!this.wideClass.has(c)) this.wideClass.set(c, classes++);
      }
    }
    const width = classes;
    this.width = width;

    // Trie, with transitions in a growable table (-1 = none).
    let goto: number[] = [];
    const addState = (): number => { for (let k = 0; k < width; k++) goto.push(-1); return goto.length / width - 1; };
    addState();
    const own: number[][] = [[]];
    patterns.forEach((p, id) => {
      if (p.length === 0) return; // an empty pattern would hit every text; callers do not index it
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const cls = this.classOf(p.charCodeAt(i));
        let t = goto[s * width + cls]!;
        if (t < 0) { t = addState(); own.push([]); goto[s * width + cls] = t; }
        s = t;
      }
      own[s]!.push(id);
    });
    const n = goto.length / width;
    this.states = n;

    // BFS: failure links, then turn missing transitions into the failure state's (a full DFA).
    const delta = new Int32Array(n * width);
    const fail = new Int32Array(n);
    const order: number[] = [];
    const outputs: number[][] = new Array<number[]>(n);
    outputs[0] = own[0]!;
    for (let cls = 0; cls < width; cls++) {
      const t = goto[cls]!;
      if (t > 0) { delta[cls] = t; fail[t] = 0; order.push(t); } else delta[cls] = 0;
    }
    for (let qi = 0; qi < order.length; qi++) {
      const s = order[qi]!;
      outputs[s] = own[s]!.length > 0 ? [...own[s]!, ...outputs[fail[s]!]!] : outputs[fail[s]!]!;
      for (let cls = 0; cls < width; cls++) {
        const t = goto[s * width + cls]!;
        if (t > 0) {
          fail[t] = delta[fail[s]! * width + cls]!;
          delta[s * width + cls] = t;
          order.push(t);
        } else {
          delta[s * width + cls] = delta[fail[s]! * width + cls]!;
        }
      }
      // Class 0 (a character in no pattern) goes to the root from everywhere.
      delta[s * width] = 0;
    }
    goto = [];
    // Renumber states in BFS order (root, then depth 1, 2, …): the shallow states, where a scan
    // spends nearly all its steps, share a compact block of the table instead of being spread
    // over it in pattern order. Then encode each transition as described above.
    const byDepth = [0, ...order];
    const renamed = new Int32Array(n);
    byDepth.forEach((old, id) => { renamed[old] = id; });
    const table = new Int32Array(n * width);
    for (let id = 0; id < n; id++) {
      const from = byDepth[id]! * width;
      for (let cls = 0; cls < width; cls++) {
        const t = delta[from + cls]!;
        const row = renamed[t]! * width;
        table[id * width + cls] = outputs[t]!.length > 0 ? ~row : row;
      }
    }
    this.delta = table;
    this.outStart = new Int32Array(n + 1);
    let total = 0;
    for (let id = 0; id < n; id++) { this.outStart[id] = total; total += outputs[byDepth[id]!]!.length; }
    this.outStart[n] = total;
    this.outIds = new Int32Array(total);
    for (let id = 0; id < n; id++) this.outIds.set(outputs[byDepth[id]!]!, this.outStart[id]!);
  }

  private classOf(c: number): number {
    return c < 128 ? this.asciiClass[c]! : this.wideClass.get(c) ?? 0;
  }

  /** Calls `hit(patternId)` for every occurrence (a pattern may be reported more than once). */
  scan(text: string, hit: (patternId: number) => void): void {
    const { delta, width, outStart, outIds, asciiClass, wideClass } = this;
    const wide = wideClass.size > 0;
    let row = 0; // the current state's row offset
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const cls = c < 128 ? asciiClass[c]! : wide ? wideClass.get(c) ?? 0 : 0;
      row = delta[row + cls]!;
      if (row < 0) {
        row = ~row;
        const s = row / width;
        const end = outStart[s + 1]!;
        for (let o = outStart[s]!; o < end; o++) hit(outIds[o]!);
      }
    }
  }

  /** Bytes held by the tables (for the benchmark's report). */
  get bytes(): number {
    return this.delta.byteLength + this.outIds.byteLength + this.outStart.byteLength;
  }
}
