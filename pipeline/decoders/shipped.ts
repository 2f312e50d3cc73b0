/**
 * The decoders haetae ships (the package's top-level `decoders/`), for tools that run without a
 * config file in hand: rule tests (`line:` samples), `rules explain`. Loaded once per process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDecoderSet, type DecoderSet } from './select';
import { loadDecoders } from './load';

let shipped: DecoderSet | null = null;

/** The package's root: the nearest directory above this file holding package.json and decoders/. */
export function packageRoot(from: string = __dirname): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'decoders'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** The shipped decoders (problems in them are the project's bugs, caught by its own tests). */
export function shippedDecoders(): DecoderSet {
  if (!shipped) {
    const root = packageRoot();
    shipped = createDecoderSet(root ? loadDecoders([path.join(root, 'decoders')]).decoders : []);
  }
  return shipped;
}

let fields: ReadonlySet<string> | null = null;

/**
 * The event fields the shipped decoders are seen to produce: every field (dotted, nested objects
 * walked) that some decoder emits on one of its own samples, plus the categorization fields it
 * sets. This — not ECS's whole table — is what makes a rule's field "live" in reachability and in
 * `rules import-sigma`: a field counts once a shipped decoder demonstrably fills it.
 */
export function shippedDecoderFields(): ReadonlySet<string> {
  if (fields) return fields;
  const out = new Set<string>();
  const add = (name: string, value: unknown): void => {
    out.add(name);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(`${name}.${k}`, v);
    }
  };
  for (const d of shippedDecoders().decoders) {
    for (const s of d.samples) {
      let result;
      try {
        result = d.decode({ message: s.input, ...(s.program !== undefined ? { program: s.program } : {}), ...(s.sender !== undefined ? { sender: s.sender } : {}) });
      } catch {
        continue;
      }
      if (!result || !result.ok) continue;
      for (const [k, v] of Object.entries(result.fields)) add(k, v);
      out.add('event.dataset').add('event.module').add('haetae.decoder.id');
    }
  }
  // Parents of dotted names are fields too (an object can be tested with `exists`).
  for (const name of [...out]) for (let i = name.indexOf('.'); i > 0; i = name.indexOf('.', i + 1)) out.add(name.slice(0, i));
  fields = out;
  return fields;
}
