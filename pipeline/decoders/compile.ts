/**
 * Compiles one schema-valid decoder document into a Decoder: patterns compiled once, map entries
 * resolved to (source, type, array-ness, table) with constants converted at load, and capture
 * names checked so a typo in `from:` is a load error with a position, not a silent empty field.
 */
import type { BuiltinCode } from './builtin/index';
import { parseCidr } from '../detect/modifiers/cidr';
import { convert, ecsField, isIpv4, parseLong } from './convert';
import type { CaseSpec, DecoderSpec, FieldType, MapSpec, MappingSpec, StepSpec } from './format';
import { INPUT_NAMES } from './format';
import { compilePattern, PatternError, type CompiledPattern } from './regex';
import { Captures, compileStep, type Step } from './steps';
import type { DecodedFields, DecodeResult, Decoder, DecoderInput, DecoderSample } from './types';

/** Reports a problem at a key path of the document being compiled. */
export type Report = (message: string, keyPath: (string | number)[]) => void;

interface FieldMap {
  target: string;
  from: string | null;
  /** Constant, already converted (from `value:`), or undefined. */
  constant: unknown;
  type: FieldType;
  array: boolean;
  lowercase: boolean;
  /** Table entries already converted: a value for `target`, or fields under `target`. */
  table: Map<string, { value: unknown } | { spread: Array<[string, unknown]> }> | null;
  fallback: unknown;
  /** related.* list this field's value also goes to. */
  related: 'ip' | 'user' | 'hosts' | null;
  /** A conversion failure drops the field instead of failing the decoder (`on_invalid: skip`). */
  skipInvalid: boolean;
  /** A constant object `value: {a: 1}` under `target` sets target.a (converted at load). */
  spread: Array<[string, unknown]> | null;
  /** `field: null`: a case leaves out a field the top-level map would set. */
  remove: boolean;
  /** The capture slot `from` reads (see Captures), set once every name the decoder reads is known. */
  slot: number;
}

interface CompiledCase {
  name: string;
  /** The top-level map without the fields this case leaves out (`field: null`). */
  top: FieldMap[];
  /** `top` and `map` compiled into straight-line setters (see compileApplier), set once slots are known. */
  applyTop: Applier;
  applyMap: Applier;
  /** Capture slots of the `when` names, of `from` and of each step's `from` (set with the slots). */
  whenSlots: number[];
  fromSlot: number;
  stepFrom: number[];
  when: Array<[string, ReadonlySet<string>]>;
  from: string;
  pattern: CompiledPattern | null;
  /** The capture slot of each of the pattern's names (-1: never read). */
  to: number[];
  steps: Step[];
  map: FieldMap[];
}

/** What compileDecoder needs from outside: the built-in implementations by name. */
export interface CompileContext {
  builtins: Readonly<Record<string, BuiltinCode>>;
  /** Which engine runs patterns: 'auto' (V8 with linear fallback, re2js where needed) or 're2js' for all (benchmarks). */
  engine?: 'auto' | 're2js';
}

export function compileDecoder(spec: DecoderSpec, file: string, line: number, samples: DecoderSample[], ctx: CompileContext, report: Report): Decoder | null {
  const before = problemsSeen(report);
  const select = spec.select;
  const base = {
    id: spec.id,
    file,
    line,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    select,
    priority: spec.priority ?? 50,
    samples,
  };
  for (const [i, s] of (select.senders ?? []).entries()) {
    if (parseCidr(s) === null) report(`'${s}' is not an address or CIDR network`, ['select', 'senders', i]);
  }

  if (spec.code !== undefined) {
    for (const k of ['match', 'steps', 'cases', 'map', 'tables', 'unmatched'] as const) {
      if (spec[k] !== undefined) report(`'${k}' cannot be combined with 'code' (a built-in decoder does its own extraction)`, [k]);
    }
    const impl = Object.prototype.hasOwnProperty.call(ctx.builtins, spec.code) ? ctx.builtins[spec.code] : undefined;
    if (!impl) {
      const known = Object.keys(ctx.builtins);
      report(`unknown built-in decoder '${spec.code}' (known: ${known.length > 0 ? known.join(', ') : 'none'})`, ['code']);
      return null;
    }
    if (problemsSeen(report) > before) return null;
    return {
      ...base,
      code: spec.code,
      // For a built-in, `dataset` only documents what the code returns (haetae decoders list).
      ...(spec.dataset !== undefined ? { dataset: spec.dataset } : {}),
      decode: (input) => impl.decode(input),
      ...(impl.merge ? { merge: (into: DecodedFields, next: DecodedFields) => impl.merge!(into, next) } : {}),
    };
  }

  if (spec.dataset === undefined) report("'dataset' is required unless 'code' names a built-in decoder", []);
  if (spec.match === undefined && spec.steps === undefined && spec.cases === undefined && spec.map === undefined) {
    report("a decoder needs 'code', or at least one of 'match', 'steps', 'cases', 'map'", []);
  }
  const tables = spec.tables ?? {};
  const known = new Names();
  for (const n of INPUT_NAMES) known.add(n);

  const top = compilePatternAt(spec.match, ['match'], report, ctx.engine);
  for (const n of top?.names ?? []) known.add(n);
  const topSteps = compileSteps(spec.steps, ['steps'], known, report);
  const topMap = compileMap(spec.map ?? {}, ['map'], tables, report);
  const caseKnown = known.clone();
  const cases: Array<CompiledCase & { known: Names }> = (spec.cases ?? []).map((c, i) => compileCase(c, i, caseKnown, tables, report));
  // Top-level map reads captures of any case; checked against the union, absent ones just skip.
  checkFroms(topMap, ['map'], cases.length > 0 ? caseKnown.union(cases.map((c) => c.known)) : known, report);
  if (problemsSeen(report) > before) return null;

  // Every name the decoder reads is known now: dynamic steps (kv) keep only those.
  const referenced = new Set<string>();
  for (const m of [...topMap, ...cases.flatMap((c) => c.map)]) if (m.from !== null) referenced.add(m.from);
  for (const c of cases) {
    referenced.add(c.from);
    for (const [k] of c.when) referenced.add(k);
  }
  for (const st of [...topSteps, ...cases.flatMap((c) => c.steps)]) referenced.add(st.from);
  for (const st of [...topSteps, ...cases.flatMap((c) => c.steps)]) st.restrict?.(referenced);
  // Each of those names gets a capture slot: an event's captures are one array, patterns and steps
  // store by index and map entries read by index (no Map per event, no lookup by name).
  const slots = new Map<string, number>();
  for (const n of referenced) slots.set(n, slots.size);
  const emptySlots: readonly unknown[] = new Array<unknown>(slots.size).fill(undefined);
  for (const st of [...topSteps, ...cases.flatMap((c) => c.steps)]) st.bind?.(slots);
  const slotsOf = (p: CompiledPattern): number[] => p.names.map((n) => slots.get(n) ?? -1);
  const topTo = top ? slotsOf(top) : [];
  for (const c of cases) if (c.pattern) c.to = slotsOf(c.pattern);
  for (const c of cases) {
    c.whenSlots = c.when.map(([k]) => slots.get(k)!);
    c.fromSlot = slots.get(c.from)!;
    c.stepFrom = c.steps.map((st) => slots.get(st.from)!);
  }
  const topStepFrom = topSteps.map((st) => slots.get(st.from)!);
  // The input's own names (INPUT_NAMES), -1 when the decoder never reads one.
  const messageSlot = slots.get('message') ?? -1;
  const programSlot = slots.get('program') ?? -1;
  const hostnameSlot = slots.get('hostname') ?? -1;
  const senderSlot = slots.get('sender') ?? -1;
  for (const m of [...topMap, ...cases.flatMap((c) => c.map)]) m.slot = m.from === null ? -1 : slots.get(m.from)!;

  // Without a case, only the top-level pattern and steps capture anything.
  const topUnmatched = topMap.filter((m) => canProduce(m, known));
  const applyUnmatched = compileApplier(topUnmatched);
  for (const c of cases) {
    c.applyTop = compileApplier(c.top);
    c.applyMap = compileApplier(c.map);
  }
  const dataset = spec.dataset!;
  const unmatched = spec.unmatched ?? 'keep';
  const decode = (input: DecoderInput): DecodeResult | null => {
    const caps = new Captures(slots, emptySlots);
    const message = input.message;
    const vals = caps.vals;
    if (messageSlot >= 0) vals[messageSlot] = message;
    if (programSlot >= 0 && input.program !== undefined) vals[programSlot] = input.program;
    if (hostnameSlot >= 0 && input.hostname !== undefined) vals[hostnameSlot] = input.hostname;
    if (senderSlot >= 0 && input.sender !== undefined) vals[senderSlot] = input.sender;
    if (top && !top.execSlots(message, caps.vals, topTo)) return null;
    for (let i = 0; i < topSteps.length; i++) {
      const failed = runStep(topSteps[i]!, caps.vals[topStepFrom[i]!], caps);
      if (failed !== null) return { ok: false, reason: failed };
    }
    let chosen: CompiledCase | null = null;
    if (cases.length > 0) {
      for (const c of cases) {
        const r = tryCase(c, caps);
        if (r === true) { chosen = c; break; }
        if (typeof r === 'string') return { ok: false, reason: r };
      }
      if (chosen === null) {
        if (unmatched === 'skip') return null;
        if (unmatched === 'fail') return { ok: false, reason: 'no case matched' };
      }
    }
    const fields: DecodedFields = {};
    const err = chosen ? (chosen.applyTop(vals, fields) ?? chosen.applyMap(vals, fields)) : applyUnmatched(vals, fields);
    if (err !== null) return { ok: false, reason: chosen ? `${err} (case ${chosen.name})` : err };

    return { ok: true, dataset, fields };
  };
  return { ...base, dataset, decode };

  function compileCase(c: CaseSpec, i: number, shared: Names, tabs: Record<string, Record<string, unknown>>, rep: Report): CompiledCase & { known: Names } {
    const at = ['cases', i];
    const names = known.clone();
    const when: Array<[string, ReadonlySet<string>]> = [];
    for (const [k, v] of Object.entries(c.when ?? {})) {
      if (!names.has(k)) rep(`'when' reads '${k}', which no pattern or step before it captures`, [...at, 'when', k]);
      when.push([k, new Set((Array.isArray(v) ? v : [v]).map(String))]);
    }
    const from = c.from ?? 'message';
    if (!names.has(from)) rep(`'from' reads '${from}', which no pattern or step before it captures`, [...at, 'from']);
    const pattern = compilePatternAt(c.match, [...at, 'match'], rep, ctx.engine);
    for (const n of pattern?.names ?? []) names.add(n);
    const steps = compileSteps(c.steps, [...at, 'steps'], names, rep);
    const map = compileMap(c.map ?? {}, [...at, 'map'], tabs, rep);
    checkFroms(map, [...at, 'map'], names, rep);
    shared.addAll(names);
    // Fields the case leaves out (`field: null`) are not even converted from the top-level map.
    // Other case fields override the top-level value only when they produce one.
    const own = new Set(map.filter((m) => m.remove).map((m) => m.target));
    return { name: c.name ?? String(i + 1), top: topMap.filter((m) => !own.has(m.target) && canProduce(m, names)), applyTop: NO_APPLY, applyMap: NO_APPLY, whenSlots: [], fromSlot: -1, stepFrom: [], when, from, pattern, to: [], steps, map, known: names };
  }
}

/**
 * Whether a top-level map entry can set anything when only `names` can have been captured: a
 * decoder whose cases share one big top-level map (Cisco ASA: 40 fields, 6 per case) then reads
 * only the captures the chosen case can have, not all 40 per event.
 */
function canProduce(m: FieldMap, names: Names): boolean {
  return m.from === null || m.remove || m.spread !== null || m.fallback !== undefined || names.has(m.from);
}

/** Every value the case's conditions ask for is there and its pattern matches. */
function tryCase(c: CompiledCase, caps: Captures): boolean | string {
  const vals = caps.vals;
  for (let i = 0; i < c.when.length; i++) {
    const v = vals[c.whenSlots[i]!];
    if (v === undefined || !c.when[i]![1].has(typeof v === 'string' ? v : String(v))) return false;
  }
  if (c.pattern) {
    const text = vals[c.fromSlot];
    if (typeof text !== 'string') return false;
    // execSlots stores captures only on a match: a failing pattern leaves nothing behind for the next case.
    if (!c.pattern.execSlots(text, vals, c.to)) return false;
  }
  for (let i = 0; i < c.steps.length; i++) {
    const failed = runStep(c.steps[i]!, vals[c.stepFrom[i]!], caps);
    if (failed !== null) return `${failed} (case ${c.name})`;
  }
  return true;
}

/** Runs a step on `text`, the value of the capture it reads (its `from`). */
function runStep(step: Step, text: unknown, caps: Captures): string | null {
  if (text === undefined) return null; // an optional capture did not take part: nothing to read
  return step.run(typeof text === 'string' ? text : JSON.stringify(text), caps);
}

/** A map (top-level or a case's) compiled for one decoder: sets its fields from the capture slots; null or the reason it failed. */
type Applier = (vals: readonly unknown[], fields: DecodedFields) => string | null;

const NO_APPLY: Applier = () => null;

function removeField(fields: DecodedFields, m: FieldMap): void {
  const old = fields[m.target];
  delete fields[m.target];
  if (m.related !== null && typeof old === 'string') unrelate(fields, m.related, old);
}

/**
 * Compiles a map into one function of straight-line code, each field stored under its literal
 * name. What it does is exactly interpretMap's, entry by entry in the same order; it is only
 * faster: a store with a computed key (`fields[m.target] = v`) is a megamorphic keyed store that
 * looks the key up in the object's transitions every time (~20 ns per field, and a FortiGate map
 * sets 40), while a store under a literal name keeps an inline cache of its own (a few ns).
 * Field names enter the code only as JSON string literals. Where code cannot be generated
 * (`--disallow-code-generation-from-strings`), the map is interpreted.
 */
function compileApplier(map: readonly FieldMap[]): Applier {
  if (map.length === 0) return NO_APPLY;
  try {
    return generateApplier(map);
  } catch {
    return (vals, fields) => interpretMap(map, vals, fields);
  }
}

/** A table entry as the generated code reads it: a value for the field, or a setter of several fields. */
interface TableHit { value: unknown; set: ((fields: DecodedFields) => void) | null }

/** A JS expression for a constant field value: a fresh copy per event for arrays, as interpretMap's slice(). */
function constantCode(v: unknown, ref: (v: unknown) => string): string {
  const simple = (x: unknown): boolean => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x) && !Object.is(x, -0));
  if (simple(v)) return JSON.stringify(v);
  if (Array.isArray(v)) return v.every(simple) ? JSON.stringify(v) : `${ref(v)}.slice()`;
  return ref(v);
}

function spreadCode(spread: ReadonlyArray<[string, unknown]>, ref: (v: unknown) => string): string {
  let code = '';
  for (const [k, val] of spread) code += `f[${JSON.stringify(k)}] = ${constantCode(val, ref)};\n`;
  return code;
}

function generateApplier(map: readonly FieldMap[]): Applier {
  const consts: unknown[] = [];
  const ref = (v: unknown): string => {
    consts.push(v);
    return `K[${consts.length - 1}]`;
  };
  let body = 'let raw, v, c, hit;\n';
  map.forEach((m, i) => {
    const T = `f[${JSON.stringify(m.target)}]`;
    const fail = m.skipInvalid ? `break e${i};` : `return ${JSON.stringify(`${m.target}: `)} + c.reason;`;
    body += `e${i}: {\n`;
    if (m.remove) {
      body += `removeField(f, M[${i}]);\n`;
    } else if (m.spread !== null) {
      body += spreadCode(m.spread, ref);
    } else if (m.from === null) {
      if (m.constant !== undefined) body += `${T} = ${constantCode(m.constant, ref)};\n`;
    } else {
      const fallback = m.fallback !== undefined ? `${T} = ${constantCode(m.fallback, ref)};` : '';
      body += `raw = vals[${m.slot}];\nif (raw === '' || raw === null) raw = undefined;\n`;
      if (m.lowercase) body += `if (raw !== undefined && typeof raw === 'string') raw = raw.toLowerCase();\n`;
      if (m.table !== null) {
        const hits = new Map<string, TableHit>();
        for (const [key, entry] of m.table) {
          if ('spread' in entry) {
            const consts2: unknown[] = [];
            const ref2 = (v: unknown): string => { consts2.push(v); return `K[${consts2.length - 1}]`; };
            const code = spreadCode(entry.spread, ref2);
            hits.set(key, { value: undefined, set: new Function('K', `"use strict";\nreturn function set(f) {\n${code}};`)(consts2) as TableHit['set'] });
          } else {
            hits.set(key, { value: entry.value, set: null });
          }
        }
        body += `hit = raw === undefined ? undefined : ${ref(hits)}.get(typeof raw === 'string' ? raw : String(raw));\n`;
        body += `if (hit === undefined) { ${fallback} } else if (hit.set !== null) { hit.set(f); } else if ((v = hit.value) !== undefined) { ${T} = Array.isArray(v) ? v.slice() : v; }\n`;
      } else {
        body += `if (raw === undefined) { ${fallback} break e${i}; }\n`;
        const slow = `{ c = convert(raw, ${JSON.stringify(m.type)}); if (!c.ok) { ${fail} } v = c.value; }`;
        if (m.type === 'keyword') body += `if (typeof raw === 'string') v = raw; else ${slow}\n`;
        else if (m.type === 'long') body += `if (typeof raw !== 'string' || (v = parseLong(raw)) === undefined) ${slow}\n`;
        else if (m.type === 'ip') body += `if (typeof raw === 'string' && isIpv4(raw)) v = raw; else ${slow}\n`;
        else body += `${slow}\n`;
        if (m.related !== null) {
          // addRelated, with the list's name literal (a computed name adding a property would turn
          // an object with this many fields into a dictionary).
          const R = `f[${JSON.stringify(`related.${m.related}`)}]`;
          body += `if (typeof v === 'string' && v !== '') { c = ${R}; if (Array.isArray(c)) { if (!c.includes(v)) c.push(v); } else { ${R} = [v]; } }\n`;
        }
        body += m.array ? `${T} = Array.isArray(v) ? v : [v];\n` : `${T} = v;\n`;
      }
    }
    body += '}\n';
  });
  body += 'return null;\n';
  const make = new Function('K', 'M', 'convert', 'parseLong', 'isIpv4', 'addRelated', 'removeField', `"use strict";\nreturn function apply(vals, f) {\n${body}};`);
  return make(consts, map, convert, parseLong, isIpv4, addRelated, removeField) as Applier;
}

function interpretMap(map: readonly FieldMap[], vals: readonly unknown[], fields: DecodedFields): string | null {
  for (let i = 0; i < map.length; i++) {
    const m = map[i]!;
    let v: unknown;
    if (m.remove) {
      removeField(fields, m);
      continue;
    }
    if (m.spread !== null) {
      for (const [k, val] of m.spread) fields[k] = Array.isArray(val) ? val.slice() : val;
      continue;
    }
    if (m.from === null) {
      v = m.constant;
    } else {
      let raw = vals[m.slot];
      if (raw === '' || raw === null) raw = undefined;
      if (raw !== undefined && m.lowercase && typeof raw === 'string') raw = raw.toLowerCase();
      if (m.table !== null) {
        const hit = raw === undefined ? undefined : m.table.get(String(raw));
        if (hit === undefined) {
          v = m.fallback;
        } else if ('spread' in hit) {
          for (const [k, val] of hit.spread) fields[k] = Array.isArray(val) ? val.slice() : val;
          continue;
        } else {
          v = hit.value;
        }
      } else if (raw === undefined) {
        v = m.fallback;
      } else {
        let value: unknown;
        if (m.type === 'keyword' && typeof raw === 'string') {
          value = raw; // the common case: no conversion, no result object
        } else if (m.type === 'long' && typeof raw === 'string' && (value = parseLong(raw)) !== undefined) {
          // a port, a byte count: converted without a result object
        } else if (m.type === 'ip' && typeof raw === 'string' && isIpv4(raw)) {
          value = raw; // a plain IPv4 address is kept as written; anything else goes through convert
        } else {
          const c = convert(raw, m.type);
          if (!c.ok) {
            if (m.skipInvalid) continue;
            return `${m.target}: ${c.reason}`;
          }
          value = c.value;
        }
        if (m.related !== null) addRelated(fields, m.related, value);
        fields[m.target] = m.array && !Array.isArray(value) ? [value] : value;
        continue;
      }
    }
    if (v === undefined) continue;
    fields[m.target] = Array.isArray(v) ? v.slice() : v;
  }
  return null;
}

/** The related.* field names, built once (a name built per call is looked up in V8's string table on every store). */
const RELATED = { ip: 'related.ip', user: 'related.user', hosts: 'related.hosts' } as const;

/** Appends to related.<kind> with dedup (values of ip fields, user names, host names). */
export function addRelated(fields: DecodedFields, kind: 'ip' | 'user' | 'hosts', value: unknown): void {
  if (typeof value !== 'string' || value === '') return;
  const key = RELATED[kind];
  const list = fields[key];
  if (Array.isArray(list)) {
    if (!list.includes(value)) list.push(value);
  } else {
    fields[key] = [value];
  }
}

/** Takes a removed field's value out of related.<kind>, unless another field still holds it. */
function unrelate(fields: DecodedFields, kind: 'ip' | 'user' | 'hosts', value: string): void {
  const key = RELATED[kind];
  const list = fields[key];
  if (!Array.isArray(list)) return;
  for (const [k, v] of Object.entries(fields)) if (v === value && !k.startsWith('related.')) return;
  const rest = list.filter((x) => x !== value);
  if (rest.length > 0) fields[key] = rest;
  else delete fields[key];
}

/** Which related.* list a field feeds (ECS: related.ip for addresses, related.user, related.hosts). */
export function relatedKind(target: string, type: FieldType): 'ip' | 'user' | 'hosts' | null {
  if (target.startsWith('related.')) return null;
  if (type === 'ip') return 'ip';
  if (target === 'user.name' || target.endsWith('.user.name') || target === 'user.target.name' || target === 'user.effective.name') return 'user';
  if (target.endsWith('.domain') || target === 'host.hostname' || target.endsWith('.hostname')) return 'hosts';
  return null;
}

function compilePatternAt(src: string | undefined, keyPath: (string | number)[], report: Report, engine: 'auto' | 're2js' = 'auto'): CompiledPattern | null {
  if (src === undefined) return null;
  try {
    return compilePattern(src, { engine });
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    report(err.message, keyPath);
    return null;
  }
}

function compileSteps(specs: StepSpec[] | undefined, at: (string | number)[], names: Names, report: Report): Step[] {
  return (specs ?? []).map((s, i) => {
    const step = compileStep(s);
    const kind = Object.keys(s)[0]!;
    if (!names.has(step.from)) report(`'from' reads '${step.from}', which no pattern or step before it captures`, [...at, i, kind, 'from']);
    if (step.adds) for (const n of step.adds) names.add(n);
    else names.addPrefix(step.prefix);
    return step;
  });
}

function compileMap(spec: MapSpec, at: (string | number)[], tables: Record<string, Record<string, unknown>>, report: Report): FieldMap[] {
  const out: FieldMap[] = [];
  for (const [target, raw] of Object.entries(spec)) {
    const where = [...at, target];
    if (raw === null || (typeof raw === 'object' && raw.value === null && raw.from === undefined)) {
      const t = ecsField(target)?.type ?? 'keyword';
      out.push({ target, from: null, constant: undefined, type: t, array: false, lowercase: false, table: null, fallback: undefined, related: relatedKind(target, t), skipInvalid: false, spread: null, remove: true, slot: -1 });
      continue;
    }
    const m: MappingSpec = typeof raw === 'string' ? { from: raw } : raw;
    const ecs = ecsField(target);
    const type: FieldType = m.type ?? ecs?.type ?? 'keyword';
    const array = ecs?.array ?? false;
    const fixed = (value: unknown, keyPath: (string | number)[], field = target): unknown => {
      const f = field === target ? { type, array, allowed: ecs?.allowed } : (() => { const e = ecsField(field); return { type: e?.type ?? 'keyword', array: e?.array ?? false, allowed: e?.allowed }; })();
      const list = Array.isArray(value) ? value : [value];
      const converted: unknown[] = [];
      for (const v of list) {
        const c = convert(v, f.type);
        if (!c.ok) { report(`${field}: ${c.reason}`, keyPath); return undefined; }
        if (f.allowed && typeof c.value === 'string' && !f.allowed.includes(c.value)) {
          report(`${field}: '${c.value}' is not an allowed ECS value (${f.allowed.join(', ')})`, keyPath);
        }
        converted.push(c.value);
      }
      if (Array.isArray(value) && !f.array) { report(`${field} is not an array field in ECS; give one value`, keyPath); return undefined; }
      return f.array ? converted : converted[0];
    };
    const spreadOf = (entry: Record<string, unknown>, keyPath: (string | number)[]): Array<[string, unknown]> => {
      // An object sets several fields under the map key: `event: {from: id, table: t}` with
      // entry {action: x, outcome: y}, or `event: {value: {action: x}}`, sets event.action, ….
      const spread: Array<[string, unknown]> = [];
      for (const [k, v] of Object.entries(entry)) {
        const field = `${target}.${k}`;
        const val = fixed(v, [...keyPath, k], field);
        if (val !== undefined) spread.push([field, val]);
      }
      return spread;
    };
    if ((m.from === undefined) === (m.value === undefined)) {
      report("give exactly one of 'from' (a capture) and 'value' (a constant)", where);
      continue;
    }
    if (m.value !== undefined && (m.table !== undefined || m.default !== undefined)) {
      report("'table' and 'default' apply to 'from', not to a constant 'value'", where);
      continue;
    }
    let table: FieldMap['table'] = null;
    if (m.table !== undefined) {
      const t = Object.prototype.hasOwnProperty.call(tables, m.table) ? tables[m.table] : undefined;
      if (!t) {
        report(`no table '${m.table}' (tables: ${Object.keys(tables).join(', ') || 'none'})`, [...where, 'table']);
        continue;
      }
      table = new Map();
      for (const [key, entry] of Object.entries(t)) {
        const tp = ['tables', m.table, key];
        if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
          table.set(key, { spread: spreadOf(entry as Record<string, unknown>, tp) });
        } else {
          table.set(key, { value: fixed(entry, tp) });
        }
      }
    }
    const constObject = m.value !== null && typeof m.value === 'object' && !Array.isArray(m.value);
    out.push({
      target,
      from: m.from ?? null,
      constant: m.value !== undefined && !constObject ? fixed(m.value, [...where, 'value']) : undefined,
      spread: constObject ? spreadOf(m.value as Record<string, unknown>, [...where, 'value']) : null,
      skipInvalid: m.on_invalid === 'skip',
      type,
      array,
      lowercase: m.lowercase === true,
      table,
      // `default: null` is no default: the field is left out.
      fallback: m.default !== undefined && m.default !== null ? fixed(m.default, [...where, 'default']) : undefined,
      remove: false,
      related: relatedKind(target, type),
      slot: -1,
    });
  }
  return out;
}

function checkFroms(map: readonly FieldMap[], at: (string | number)[], names: Names, report: Report): void {
  for (const m of map) {
    if (m.from !== null && !names.has(m.from)) report(`'${m.from}' is not captured by any pattern or step of this decoder`, [...at, m.target]);
  }
}

/** Capture names known at load: exact names plus prefixes of dynamic steps (kv, json). */
class Names {
  private readonly exact = new Set<string>();
  private readonly prefixes = new Set<string>();
  add(n: string): void { this.exact.add(n); }
  addPrefix(p: string): void { this.prefixes.add(p); }
  addAll(o: Names): void { for (const n of o.exact) this.exact.add(n); for (const p of o.prefixes) this.prefixes.add(p); }
  has(n: string): boolean {
    if (this.exact.has(n)) return true;
    for (const p of this.prefixes) if (n.startsWith(p)) return true;
    return false;
  }
  clone(): Names { const c = new Names(); c.addAll(this); return c; }
  union(list: Names[]): Names { const c = this.clone(); for (const l of list) c.addAll(l); return c; }
}

/** Counts reports so far (Report is wrapped by the loader with a counter). */
function problemsSeen(report: Report): number {
  return (report as Report & { count?: () => number }).count?.() ?? 0;
}

