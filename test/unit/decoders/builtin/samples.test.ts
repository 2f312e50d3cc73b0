/**
 * The inline samples of the built-in decoders' YAML files (decoders/<name>.yml): each passes when
 * decoded by its built-in code directly, and through the engine (loadDecoders + runSamples, which
 * also checks routing) over these files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { BUILTIN_CODE } from '../../../../pipeline/decoders/builtin';
import { ecsProblems } from './property';

const ROOT = path.resolve(__dirname, '../../../..');
const FILES = ['sysmon-linux', 'auditd', 'zeek', 'cef', 'leef', 'json'].map((n) => path.join(ROOT, 'decoders', `${n}.yml`));

interface Spec { id: string; code: string; samples?: Array<{ input: string; program?: string; expect: Record<string, unknown>; fail?: boolean }> }

const specs: Spec[] = FILES.flatMap((f) => parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS() as Spec));

describe.each(specs.map((s) => [s.id, s] as const))('%s samples (built-in code directly)', (_id, spec) => {
  it('has at least 3 samples and names a registered built-in', () => {
    expect(BUILTIN_CODE[spec.code]).toBeDefined();
    expect(spec.samples?.length).toBeGreaterThanOrEqual(3);
  });

  it.each((spec.samples ?? []).map((s, i) => [i, s] as const))('sample %i', (_i, s) => {
    const r = BUILTIN_CODE[spec.code]!.decode({ message: s.input, ...(s.program ? { program: s.program } : {}) });
    expect(r).not.toBeNull();
    if (s.fail) {
      expect(r!.ok).toBe(false);
      return;
    }
    if (!r!.ok) throw new Error(r!.reason);
    const dot = r!.dataset.indexOf('.');
    const got: Record<string, unknown> = { ...r!.fields, 'event.dataset': r!.dataset, 'event.module': r!.dataset.slice(0, dot) };
    const problems: string[] = [];
    for (const [k, want] of Object.entries(s.expect)) {
      if (want === null ? got[k] !== undefined : !isDeepStrictEqual(got[k], want)) problems.push(`${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got[k])}`);
    }
    expect(problems).toEqual([]);
    expect(ecsProblems(r!.fields)).toEqual([]);
  });
});

describe('built-in decoder files through the engine', () => {
  // The engine (pipeline/decoders/index.ts) is built alongside; use it when it loads.
  let engine: typeof import('../../../../pipeline/decoders') | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    engine = require('../../../../pipeline/decoders') as typeof import('../../../../pipeline/decoders');
  } catch {
    engine = null;
  }
  const run = engine && typeof engine.loadDecoders === 'function' && typeof engine.runSamples === 'function' ? it : it.skip;

  run('load without problems and every sample passes (routing included)', () => {
    const { decoders, problems } = engine!.loadDecoders(FILES);
    expect(problems.map((p) => engine!.formatDecoderProblem(p))).toEqual([]);
    expect(decoders.map((d) => d.id).sort()).toEqual(['auditd', 'cef', 'json', 'leef', 'sysmon-linux', 'zeek']);
    const report = engine!.runSamples(decoders);
    expect(report.failures.map((f) => `${f.decoder}#${f.index}: ${f.problems.join('; ')}`)).toEqual([]);
    expect(report.passed).toBe(report.total);
  });

  run('routes by program, prefix and substring, falling back to json', () => {
    const { decoders } = engine!.loadDecoders(FILES);
    const set = engine!.createDecoderSet(decoders);
    const who = (message: string, program?: string) => set.decode({ message, ...(program ? { program } : {}) })?.decoder.id ?? null;
    expect(who('{"ts":1.0,"msg":"not zeek"}')).toBe('json');
    expect(who('{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","conn_state":"S0"}')).toBe('zeek');
    expect(who('{"a":1}', 'zeek_dns')).toBe('zeek');
    expect(who('2024-01-01T00:00:00 fw01 CEF:0|V|P|1|2|n|3|src=10.0.0.1')).toBe('cef');
    expect(who('fw LEEF:2.0|V|P|1|2|^|src=10.0.0.1')).toBe('leef');
    expect(who('audit: type=1400 x', 'kernel')).toBeNull();
    expect(who('node=h type=EOE msg=audit(1.2:3): ')).toBe('auditd');
    expect(who('<Event><System><EventID>5</EventID></System></Event>', 'sysmon')).toBe('sysmon-linux');
  });
});
