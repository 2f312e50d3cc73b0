/**
 * Shared fast-check properties for the built-in decoders: whatever the input (random text, binary
 * bytes, a real line truncated or with bytes flipped), decode never throws and returns null, a
 * decoded result with a dataset and plain fields, or a failure with a reason.
 */
import fc from 'fast-check';
import type { BuiltinCode } from '../../../../pipeline/decoders/builtin';
import { ECS_CATEGORY, ECS_OUTCOME, ECS_TYPE, isIp } from '../../../../pipeline/decoders/builtin/common';
import type { DecodedFields, DecodeResult } from '../../../../pipeline/decoders/types';

/** ECS types each category allows (ECS 8.x "expected event types"). */
const CATEGORY_TYPES: Record<string, string[]> = {
  api: ['access', 'admin', 'allowed', 'change', 'creation', 'deletion', 'denied', 'end', 'info', 'start', 'user'],
  authentication: ['start', 'end', 'info'], configuration: ['access', 'change', 'creation', 'deletion', 'info'],
  database: ['access', 'change', 'info', 'error'], driver: ['change', 'end', 'info', 'start'], email: ['info'],
  file: ['access', 'change', 'creation', 'deletion', 'info'], host: ['access', 'change', 'end', 'info', 'start'],
  iam: ['admin', 'change', 'creation', 'deletion', 'group', 'info', 'user'], intrusion_detection: ['allowed', 'denied', 'info'],
  library: ['start'], malware: ['info'], network: ['access', 'allowed', 'connection', 'denied', 'end', 'info', 'protocol', 'start'],
  package: ['access', 'change', 'deletion', 'info', 'installation', 'start'], process: ['access', 'change', 'end', 'info', 'start'],
  registry: ['access', 'change', 'creation', 'deletion'], session: ['start', 'end', 'info'], threat: ['indicator'],
  vulnerability: ['info'], web: ['access', 'error', 'info'],
};

/** What in decoded fields breaks ECS (allowed values, field types); [] when nothing. */
export function ecsProblems(f: DecodedFields): string[] {
  const out: string[] = [];
  const cats = f['event.category'];
  const types = f['event.type'];
  if (cats !== undefined && !(Array.isArray(cats) && cats.every((c) => ECS_CATEGORY.has(c as string)))) out.push(`event.category ${JSON.stringify(cats)}`);
  if (types !== undefined && !(Array.isArray(types) && types.every((t) => ECS_TYPE.has(t as string)))) out.push(`event.type ${JSON.stringify(types)}`);
  if (Array.isArray(cats) && Array.isArray(types)) {
    for (const t of types) if (!cats.some((c) => CATEGORY_TYPES[c as string]?.includes(t as string))) out.push(`event.type ${String(t)} fits none of ${JSON.stringify(cats)}`);
  }
  if (f['event.outcome'] !== undefined && !ECS_OUTCOME.has(f['event.outcome'] as string)) out.push(`event.outcome ${String(f['event.outcome'])}`);
  if (f['event.kind'] !== undefined && f['event.kind'] !== 'event') out.push(`event.kind ${String(f['event.kind'])} (the event contract allows only 'event')`);
  for (const [k, v] of Object.entries(f)) {
    if (/(^|\.)(ip|resolved_ip)$/.test(k) && !k.startsWith('json.') && !k.includes('.log.') && !(Array.isArray(v) ? v.every(isIp) : isIp(v))) out.push(`${k} not an address: ${JSON.stringify(v)}`);
    if (/(^|\.)port$/.test(k) && !k.startsWith('json.') && !k.includes('.log.') && !k.startsWith('zeek.') && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535)) out.push(`${k} not a port: ${JSON.stringify(v)}`);
    if (/^related\./.test(k) && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) out.push(`${k} not a list of strings`);
    if (/^(process(\.parent)?\.pid|event\.severity|source\.bytes|destination\.bytes|network\.bytes)$/.test(k) && !Number.isInteger(v)) out.push(`${k} not an integer`);
    if (k === 'network.transport' && typeof v !== 'string') out.push('network.transport not a string');
    if (k === 'observer.ip' && !Array.isArray(v)) out.push('observer.ip not a list');
  }
  return out;
}

function wellFormed(r: DecodeResult | null): boolean {
  if (r === null) return true;
  if (r.ok) {
    if (!(typeof r.dataset === 'string' && /^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(r.dataset) && r.fields !== null && typeof r.fields === 'object')) return false;
    const problems = ecsProblems(r.fields);
    if (problems.length > 0) throw new Error(`ECS problems: ${problems.join('; ')}`);
    return true;
  }
  return typeof r.reason === 'string' && r.reason.length > 0;
}

export function neverThrows(code: BuiltinCode, realLines: readonly string[], program?: string): void {
  const input = (message: string) => ({ message, ...(program ? { program } : {}) });

  it('never throws on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'grapheme' }), (s) => wellFormed(code.decode(input(s)))), { numRuns: 300 });
  });

  it('never throws on binary input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => wellFormed(code.decode(input(Buffer.from(b).toString('latin1'))))), { numRuns: 300 });
  });

  it('never throws on truncated real lines (every prefix)', () => {
    for (const line of realLines) {
      for (let i = 0; i <= line.length; i += Math.max(1, Math.floor(line.length / 150))) {
        const r = code.decode(input(line.slice(0, i)));
        expect(wellFormed(r)).toBe(true);
      }
    }
  });

  it('never throws on real lines with random edits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...realLines),
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 6 }),
        (line, edits) => {
          let s = line;
          for (const [at, text] of edits) {
            const p = at % (s.length + 1);
            s = s.slice(0, p) + text + s.slice(p + 1);
          }
          return wellFormed(code.decode(input(s)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on non-string or hostile input shapes', () => {
    for (const bad of [null, undefined, 42, {}, { message: 7 }, { message: null }]) {
      expect(() => code.decode(bad as never)).not.toThrow();
    }
  });

  it('stays bounded on very long input', () => {
    const huge = realLines[0]! + ' x=y'.repeat(50_000);
    const t = Date.now();
    expect(wellFormed(code.decode(input(huge)))).toBe(true);
    expect(Date.now() - t).toBeLessThan(2000);
  });
}
