/**
 * The typed values modifiers work on, and the two shapes of modifier (pySigma's
 * SigmaValueModifier / SigmaListModifier split): value modifiers map one value to one or more
 * values at compile time; flag modifiers change how the detection item combines its values.
 * Nothing here runs per event — `matchers.ts` turns the final values into compiled matchers.
 */
import type { Part } from '../glob';

export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte';

export interface IpNet { version: 4 | 6; words: number[]; prefix: number }

export type SigmaValue =
  /** binary: the characters are bytes 0–255 (after utf16*), so base64 encodes them as latin1. */
  | { kind: 'string'; parts: Part[]; binary: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'regex'; source: string; flags: { i: boolean; m: boolean; s: boolean } }
  | { kind: 'cidr'; net: IpNet; text: string }
  | { kind: 'compare'; op: CompareOp; value: number; part: TimePart | null }
  | { kind: 'timepart'; part: TimePart; value: number }
  | { kind: 'fieldref'; field: string }
  | { kind: 'exists'; want: boolean };

export type ValueKind = SigmaValue['kind'];

export interface ModifierContext {
  /** Every modifier id on the key, in order. */
  readonly chain: readonly string[];
  /** Position of the modifier being applied in `chain`. */
  readonly index: number;
  /** Values for `%name%` placeholders (`expand`), each a Sigma pattern. */
  readonly placeholders: ReadonlyMap<string, readonly string[]>;
}

export interface ValueModifier {
  readonly id: string;
  readonly type: 'value';
  /** Input kinds; numbers and booleans are turned into strings first when only 'string' is listed. */
  readonly accepts: readonly ValueKind[];
  apply(value: SigmaValue, ctx: ModifierContext): SigmaValue | SigmaValue[];
}

export interface FlagModifier {
  readonly id: string;
  readonly type: 'flag';
  readonly flag: 'all' | 'cased' | 'neq';
}

export type Modifier = ValueModifier | FlagModifier;

/** A modifier or chain problem; compile.ts adds the key path. */
export class ModifierError extends Error {}

export function stringValue(text: string): SigmaValue & { kind: 'string' } {
  return { kind: 'string', parts: text === '' ? [] : [{ t: 'lit', s: text }], binary: false };
}

/** The literal text of a string without wildcards or placeholders, or null. */
export function plainText(v: SigmaValue & { kind: 'string' }): string | null {
  let out = '';
  for (const p of v.parts) {
    if (p.t !== 'lit') return null;
    out += p.s;
  }
  return out;
}

/** Maps every literal run through `f`, keeping wildcards and placeholders. */
export function mapLiterals(v: SigmaValue & { kind: 'string' }, f: (s: string) => string): SigmaValue & { kind: 'string' } {
  return { ...v, parts: v.parts.map((p) => (p.t === 'lit' ? { t: 'lit', s: f(p.s) } : p)) };
}
