import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import pino from 'pino';
import type { HaetaeEvent } from '../../schemas/generated/types';
import type { LoadedConfig } from '../../pipeline/config/load';
import { createDecoderSet, formatDecoderProblem, loadDecoders } from '../../pipeline/decoders';
import { createEnricher, type Enricher } from '../../pipeline/enrich';
import { eventsFromLines, type LineOutcome } from '../../pipeline/offline/events';
import { createLogger } from '../../pipeline/telemetry/logger';
import { Metrics } from '../../pipeline/telemetry/metrics';

export interface ParseOptions {
  json?: boolean;
  sender?: string;
  /** Decoder files or directories instead of the config's worker.decodersPath. */
  decoders?: string[];
  /** Skip enrichment even when the config has an enrich section. */
  enrich?: boolean;
}

export interface ParseSummary {
  lines: number;
  decoded: number;
  failed: number;
  undecoded: number;
  absorbed: number;
  byDecoder: Map<string, number>;
  /** Decoder files that did not load (file:line:col: message). */
  problems: string[];
}

/**
 * `haetae parse`: one message per input line (a syslog header is optional) through the worker's
 * own stages — parse, normalize, vendor decoders, enrichment — printing one event per input line
 * in input order. Lines are taken in chunks of `chunk` so a multi-record event (auditd) whose
 * records are adjacent is assembled as the worker would, while memory stays bounded on any input.
 */
export async function parseLines(loaded: LoadedConfig, input: string, opts: ParseOptions, out: (text: string) => void, chunk = 1000): Promise<ParseSummary> {
  const paths = (opts.decoders ?? loaded.config.worker.decodersPath.map((p) => path.resolve(loaded.baseDir, p)));
  const loadedDecoders = loadDecoders(paths);
  const decoders = createDecoderSet(loadedDecoders.decoders);
  const metrics = new Metrics();
  let enricher: Enricher | undefined;
  if (opts.enrich !== false && loaded.config.enrich) {
    enricher = await createEnricher(loaded.config.enrich, { logger: createLogger('warn', {}, pino.destination(2)), metrics, baseDir: loaded.baseDir, watch: false });
  }
  const summary: ParseSummary = { lines: 0, decoded: 0, failed: 0, undecoded: 0, absorbed: 0, byDecoder: new Map(), problems: loadedDecoders.problems.map(formatDecoderProblem) };
  const now = new Date();
  const flush = (lines: string[], firstLine: number): void => {
    if (lines.length === 0) return;
    const outcomes = eventsFromLines(lines, { now, decoders, ...(opts.sender ? { sender: opts.sender } : {}), ...(enricher ? { enrich: (e) => enricher!.enrich(e) } : {}), metrics });
    for (const o of outcomes) print({ ...o, line: o.line + firstLine, ...('absorbedInto' in o ? { absorbedInto: o.absorbedInto + firstLine } : {}) } as LineOutcome);
  };
  const print = (o: LineOutcome): void => {
    summary.lines++;
    if ('absorbedInto' in o) {
      summary.absorbed++;
      out(opts.json ? JSON.stringify({ line: o.line, absorbed_into: o.absorbedInto }) : `${o.line}\t(merged into the event of line ${o.absorbedInto})`);
      return;
    }
    const e = o.event;
    const decoder = e.haetae.decoder;
    if (decoder?.error) summary.failed++;
    else if (decoder?.id) {
      summary.decoded++;
      summary.byDecoder.set(decoder.id, (summary.byDecoder.get(decoder.id) ?? 0) + 1);
    } else summary.undecoded++;
    out(opts.json ? JSON.stringify(e) : describe(o.line, e));
  };
  try {
    const stream = input === '-' ? process.stdin : fs.createReadStream(input);
    const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
    let pending: string[] = [];
    let first = 0;
    for await (const raw of rl) {
      pending.push(raw);
      if (pending.length >= chunk) {
        flush(pending, first);
        first += pending.length;
        pending = [];
      }
    }
    flush(pending, first);
  } finally {
    enricher?.close();
  }
  return summary;
}

/** The fields an analyst looks at first, on one line. */
const SHOWN = ['event.dataset', 'event.action', 'event.outcome', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'user.name', 'process.name', 'dns.question.name', 'url.original', 'rule.name', 'threat.enrichments'];

function describe(line: number, e: HaetaeEvent): string {
  const get = (dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), e);
  const parts: string[] = [];
  for (const f of SHOWN) {
    const v = get(f);
    if (v === undefined || v === null) continue;
    parts.push(`${f}=${f === 'threat.enrichments' ? `${(v as unknown[]).length} match(es)` : typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  const decoder = e.haetae.decoder;
  const head = decoder?.error ? `decoder ${decoder.id} failed: ${decoder.error}` : decoder?.id ? `[${decoder.id}]` : '(no decoder)';
  return `${line}\t${head}\t${parts.join(' ')}`;
}

export function formatParseSummary(s: ParseSummary): string {
  const by = [...s.byDecoder].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(', ');
  return `${s.lines} lines: ${s.decoded} decoded${by ? ` (${by})` : ''}, ${s.failed} decoder failures, ${s.undecoded} not claimed by any decoder${s.absorbed > 0 ? `, ${s.absorbed} merged into an earlier line's event` : ''}.`;
}
