/**
 * Loads decoder files: read YAML with positions (duplicate keys rejected), check each document
 * against schemas/decoder.schema.json, compile (compile.ts), then check ids across files. A broken
 * document or file never stops the others: every problem is collected with file:line:col, and the
 * decoders that compiled are returned.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML, { LineCounter, type Document } from 'yaml';
import decoderSchema from '../../schemas/decoder.schema.json';
import { describeErrors } from '../../schemas/validators';
import type { ErrorCode } from '../errors/catalog';
import { decodePointer, position } from '../detect/position';
import { BUILTIN_CODE, type BuiltinCode } from './builtin/index';
import { compileDecoder, type Report } from './compile';
import type { DecoderSpec } from './format';
import type { Decoder, DecoderSample } from './types';

/** Stable codes from the error catalog (pipeline/errors/catalog.ts, docs/errors.md). */
export type DecoderProblemCode = Extract<ErrorCode, 'HAETAE_DECODER_YAML' | 'HAETAE_DECODER_INVALID' | 'HAETAE_DECODER_DUPLICATE_ID' | 'HAETAE_DECODER_PATH'>;

export interface DecoderProblem {
  code: DecoderProblemCode;
  file: string;
  line: number;
  column: number;
  message: string;
  /** Keys from the document root to the offending key, e.g. ['cases', 2, 'match']. */
  keyPath: (string | number)[];
  /** The decoder's id, when the document had one. */
  decoder?: string;
}

export interface LoadedDecoders {
  decoders: Decoder[];
  problems: DecoderProblem[];
  /** Every file read, sorted. */
  files: string[];
}

export interface LoadDecoderOptions {
  /** Built-in implementations by name (default: BUILTIN_CODE). */
  builtins?: Readonly<Record<string, BuiltinCode>>;
  /** Pattern engine (default 'auto', see regex.ts); 're2js' runs every pattern on re2js, for comparison. */
  engine?: 'auto' | 're2js';
}

export function formatDecoderProblem(p: DecoderProblem): string {
  const where = p.keyPath.length > 0 ? ` (at ${p.keyPath.join(' → ')})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.message}${where}`;
}

/** Where each loaded decoder's `id` key is, for the duplicate-id problem. */
const idPositions = new WeakMap<Decoder, { line: number; column: number }>();

let validator: ValidateFunction<DecoderSpec> | null = null;

/** The decoder schema's validator, compiled once per process. */
export function decoderValidator(): ValidateFunction<DecoderSpec> {
  if (validator === null) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true, useDefaults: false });
    validator = ajv.compile<DecoderSpec>(decoderSchema);
  }
  return validator;
}

/** Decoder files under the given files or directories (*.yml, *.yaml), sorted. */
export function findDecoderFiles(paths: readonly string[], problems: DecoderProblem[]): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    const stat = fs.statSync(p);
    if (!stat.isDirectory()) { out.push(p); return; }
    for (const name of fs.readdirSync(p).sort()) {
      if (name.startsWith('.')) continue;
      const child = path.join(p, name);
      if (fs.statSync(child).isDirectory() || /\.ya?ml$/i.test(name)) visit(child);
    }
  };
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      problems.push({ code: 'HAETAE_DECODER_PATH', file: p, line: 1, column: 1, message: 'no such file or directory', keyPath: [] });
      continue;
    }
    visit(p);
  }
  return out;
}

export function loadDecoders(paths: readonly string[], options: LoadDecoderOptions = {}): LoadedDecoders {
  const problems: DecoderProblem[] = [];
  const files = findDecoderFiles(paths, problems);
  const decoders: Decoder[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ code: 'HAETAE_DECODER_PATH', file, line: 1, column: 1, message: (err as Error).message, keyPath: [] });
      continue;
    }
    decoders.push(...loadDecoderText(text, file, problems, options));
  }
  return { decoders: dedupe(decoders, problems), problems, files };
}

/** The decoders of one file's text; problems are appended. Ids are not checked across files here. */
export function loadDecoderText(text: string, file: string, problems: DecoderProblem[], options: LoadDecoderOptions = {}): Decoder[] {
  const lineCounter = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const validate = decoderValidator();
  const builtins = options.builtins ?? BUILTIN_CODE;
  const out: Decoder[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = lineCounter.linePos(e.pos[0]);
        problems.push({ code: 'HAETAE_DECODER_YAML', file, line: lp.line, column: lp.col, message: e.message.split('\n')[0]!, keyPath: [] });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ code: 'HAETAE_DECODER_YAML', file, ...position(doc, [], lineCounter), message: (err as Error).message, keyPath: [] });
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document between '---' separators
    const id = typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : undefined;
    const problem = (message: string, keyPath: (string | number)[]): void => {
      problems.push({ code: 'HAETAE_DECODER_INVALID', file, ...position(doc, keyPath, lineCounter), message, keyPath, ...(id !== undefined ? { decoder: id } : {}) });
    };
    if (!validate(value)) {
      for (const err of relevantErrors(validate.errors ?? [])) {
        const keyPath = err.instancePath.split('/').slice(1).map(decodePointer);
        if (err.keyword === 'additionalProperties') keyPath.push((err.params as { additionalProperty: string }).additionalProperty);
        problem(describeErrors([err])[0]!.replace(/^[^:]*: /, ''), keyPath);
      }
      continue;
    }
    let count = 0;
    const report: Report = Object.assign((message: string, keyPath: (string | number)[]) => { count++; problem(message, keyPath); }, { count: () => count });
    const samples = readSamples(value, doc, lineCounter);
    const decoder = compileDecoder(value, file, position(doc, [], lineCounter).line, samples, { builtins, ...(options.engine ? { engine: options.engine } : {}) }, report);
    if (decoder) { idPositions.set(decoder, position(doc, ['id'], lineCounter)); out.push(decoder); }
  }
  return out;
}

function readSamples(spec: DecoderSpec, doc: Document, lc: LineCounter): DecoderSample[] {
  return (spec.samples ?? []).map((s, i) => ({
    input: s.input,
    ...(s.syslog ? { syslog: true } : {}),
    ...(s.program !== undefined ? { program: s.program } : {}),
    ...(s.sender !== undefined ? { sender: s.sender } : {}),
    ...(s.facility !== undefined ? { facility: s.facility } : {}),
    ...(s.fail ? { fail: true } : {}),
    expect: s.expect ?? {},
    line: position(doc, ['samples', i], lc).line,
  }));
}

/**
 * ajv reports every branch of an anyOf; when a deeper or more specific error exists for the same
 * value, the branch summaries ("must be string", "must match a schema in anyOf") only add noise.
 */
function relevantErrors<E extends { instancePath: string; keyword: string }>(errors: readonly E[]): E[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  return specific.filter((e) => !(e.keyword === 'type' && specific.some((o) => o !== e && o.keyword !== 'type' && o.instancePath.startsWith(e.instancePath))));
}

/** The first decoder with an id wins; later ones are reported at their id. */
function dedupe(decoders: Decoder[], problems: DecoderProblem[]): Decoder[] {
  const seen = new Map<string, Decoder>();
  const out: Decoder[] = [];
  for (const d of decoders) {
    const first = seen.get(d.id);
    if (first) {
      problems.push({
        code: 'HAETAE_DECODER_DUPLICATE_ID',
        file: d.file ?? '?',
        ...(idPositions.get(d) ?? { line: d.line ?? 1, column: 1 }),
        message: `decoder id '${d.id}' is already defined in ${first.file ?? '?'}:${first.line ?? 1}`,
        keyPath: ['id'],
        decoder: d.id,
      });
      continue;
    }
    seen.set(d.id, d);
    out.push(d);
  }
  return out;
}
