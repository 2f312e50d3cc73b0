/**
 * Runs every decoder's inline samples through the whole set, the way the worker would: a sample
 * passes when its own decoder is the one selected and the expected fields are what it produced.
 * So a sample also tests routing (another decoder winning the line is a failure).
 */
import { isDeepStrictEqual } from 'node:util';
import { createDecoderSet, type DecoderSet } from './select';
import { parseSyslog } from '../parse/syslog';
import type { DecodedFields, Decoder, DecoderInput, DecoderSample } from './types';

export interface SampleFailure {
  decoder: string;
  file?: string | undefined;
  /** 1-based line of the sample in its file. */
  line?: number | undefined;
  /** 0-based index among the decoder's samples. */
  index: number;
  input: string;
  /** One line per difference: `field: expected X, got Y`, or why the sample did not decode. */
  problems: string[];
}

export interface SampleReport {
  total: number;
  passed: number;
  failures: SampleFailure[];
  /** Per decoder, in the order given. */
  decoders: Array<{ id: string; file?: string | undefined; samples: number; passed: number }>;
}

/** The fields a sample's `expect` is compared with: decoded fields plus event.dataset/module. */
export function observedFields(dataset: string, fields: DecodedFields): DecodedFields {
  const dot = dataset.indexOf('.');
  return { ...fields, 'event.dataset': dataset, 'event.module': dot > 0 ? dataset.slice(0, dot) : dataset };
}

export function runSamples(decoders: readonly Decoder[], set: DecoderSet = createDecoderSet(decoders)): SampleReport {
  const failures: SampleFailure[] = [];
  const per: SampleReport['decoders'] = [];
  let total = 0;
  for (const d of decoders) {
    let passed = 0;
    d.samples.forEach((s, index) => {
      total++;
      const problems = checkSample(d, s, set);
      if (problems.length === 0) passed++;
      else failures.push({ decoder: d.id, file: d.file, line: s.line, index, input: s.input, problems });
    });
    per.push({ id: d.id, file: d.file, samples: d.samples.length, passed });
  }
  return { total, passed: total - failures.length, failures, decoders: per };
}

/** What the decoders see of a sample: the input as a message, or parsed as a syslog line. */
export function sampleInput(s: DecoderSample): DecoderInput | string {
  const extra = {
    ...(s.sender !== undefined ? { sender: s.sender } : {}),
  };
  if (s.syslog) {
    // Lines copied from log files have no PRI; user.notice is what logger(1) would add.
    const line = s.input.startsWith('<') ? s.input : `<13>${s.input}`;
    const parsed = parseSyslog(Buffer.from(line, 'utf8'), { receivedAt: new Date() });
    if (!parsed.ok) return `not a syslog line (${parsed.reason})`;
    const m = parsed.value;
    return {
      message: m.message,
      ...(s.program !== undefined ? { program: s.program } : m.appName !== undefined ? { program: m.appName } : {}),
      ...(m.hostname !== undefined ? { hostname: m.hostname } : {}),
      facility: s.facility ?? m.facility,
      ...(m.structuredData !== undefined ? { structuredData: m.structuredData } : {}),
      ...extra,
    };
  }
  return {
    message: s.input,
    ...(s.program !== undefined ? { program: s.program } : {}),
    ...(s.facility !== undefined ? { facility: s.facility } : {}),
    ...extra,
  };
}

export function checkSample(d: Decoder, s: DecoderSample, set: DecoderSet): string[] {
  const input = sampleInput(s);
  if (typeof input === 'string') return [input];
  const got = set.decode(input);
  if (got === null) return ['no decoder claimed this input (check select: and the top-level match:)'];
  if (got.decoder !== d) return [`decoder '${got.decoder.id}' claimed this input first (priority ${got.decoder.priority}; this one has ${d.priority})`];
  const r = got.result;
  if (s.fail) return r.ok ? ['expected a decoder failure, but it decoded'] : [];
  if (!r.ok) return [`decoder failed: ${r.reason}`];
  const fields = observedFields(r.dataset, r.fields);
  const problems: string[] = [];
  for (const [k, want] of Object.entries(s.expect)) {
    const have = fields[k];
    if (want === null) {
      if (have !== undefined) problems.push(`${k}: expected absent, got ${show(have)}`);
    } else if (!isDeepStrictEqual(have, want)) {
      problems.push(`${k}: expected ${show(want)}, got ${have === undefined ? 'nothing' : show(have)}`);
    }
  }
  return problems;
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** Text report, one line per decoder and one per failing sample (file:line: decoder: problem). */
export function formatSampleReport(report: SampleReport, display: (file: string) => string = (f) => f): string {
  const lines: string[] = [];
  const byDecoder = new Map<string, SampleFailure[]>();
  for (const f of report.failures) {
    const l = byDecoder.get(f.decoder);
    if (l) l.push(f);
    else byDecoder.set(f.decoder, [f]);
  }
  for (const d of report.decoders) {
    const fails = byDecoder.get(d.id) ?? [];
    const mark = d.samples === 0 ? '–' : fails.length === 0 ? '✓' : '✗';
    lines.push(`${mark} ${d.id}: ${d.passed}/${d.samples} samples passed${d.samples === 0 ? ' (no samples)' : ''}`);
    for (const f of fails) {
      const where = f.file ? `${display(f.file)}:${f.line ?? '?'}` : `sample ${f.index + 1}`;
      for (const p of f.problems) lines.push(`    ${where}: ${p}`);
      lines.push(`      input: ${f.input.length > 160 ? `${f.input.slice(0, 160)}…` : f.input}`);
    }
  }
  const failed = report.failures.length;
  lines.push(`${report.total} sample${report.total === 1 ? '' : 's'} in ${report.decoders.length} decoder${report.decoders.length === 1 ? '' : 's'}: ${report.passed} passed, ${failed} failed.`);
  return lines.join('\n');
}
