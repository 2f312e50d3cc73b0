/**
 * The documents of bench:ingest's raw-bulk baseline, made in this process by the worker's own code
 * from the same generated lines: pipeline/offline/events.ts (`eventsFromLines`, what `haetae
 * parse` runs: envelope → parse → normalize → vendor decoders → enrich), the rules through the
 * worker's RuleStore and matcher (a match tags `haetae.rules` as processBatch does), and the data
 * stream per dataset family from connectors/elasticsearch/streams.ts. Nothing is re-implemented
 * here; what differs from the worker's documents is only what the run itself stamps (receive
 * time, the receiver's address and port, the Kafka topic and offset in `haetae.raw`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../pipeline/config/load';
import { createDecoderSet, loadDecoders, formatDecoderProblem } from '../pipeline/decoders';
import { eventsFromLines } from '../pipeline/offline/events';
import { RuleStore } from '../pipeline/detect/rule-store';
import { matchRules } from '../pipeline/detect/match';
import { formatProblem } from '../pipeline/detect/load';
import { compileValidators } from '../schemas/validators';
import { eventStreams } from '../connectors/elasticsearch/streams';
import { eventDocumentId } from '../pipeline/index/document-id';
import { Metrics } from '../pipeline/telemetry/metrics';

/** One bulk `create`: target stream, deterministic id, and the document already serialized. */
export interface RawDocument {
  index: string;
  id: string;
  json: string;
}

export interface RawDocuments {
  docs: RawDocument[];
  /** Serialized bytes of all documents (sources only, no bulk action lines). */
  bytes: number;
  /** Events a rule matched (haetae.rules set), as the worker would tag them. */
  ruleMatches: number;
  /** Events that a vendor decoder read (haetae.decoder.id without an error). */
  decoded: number;
  /** Documents per data stream. */
  perStream: Map<string, number>;
  /** Decoder or rule files that did not load (the bench refuses to compare then). */
  problems: string[];
  /** Lines merged into another line's event (auditd); the mix has none, so this stays 0. */
  absorbed: number;
}

/**
 * `lines(i)` for i in [0, n): events in chunks of 1,000 lines (as `haetae parse` does), each
 * serialized once here so the timed bulk load measures Elasticsearch, not this process's JSON work.
 */
export function rawDocuments(loaded: LoadedConfig, n: number, line: (i: number) => string, opts: { dataStream: string; idPrefix: string }): RawDocuments {
  const decoderPaths = loaded.config.worker.decodersPath.map((p) => path.resolve(loaded.baseDir, p));
  const loadedDecoders = loadDecoders(decoderPaths);
  const decoders = createDecoderSet(loadedDecoders.decoders);
  const rulePaths = loaded.config.worker.rulesPath.map((p) => path.resolve(loaded.baseDir, p));
  const mappingsDir = path.resolve(loaded.baseDir, loaded.config.worker.mappingsPath);
  const store = new RuleStore(rulePaths, compileValidators().rule, fs.existsSync(mappingsDir) ? mappingsDir : null);
  store.reload();
  const problems = [...loadedDecoders.problems.map(formatDecoderProblem), ...store.problems.map(formatProblem)];
  const rules = store.rules;
  const streams = eventStreams(opts.dataStream);
  const metrics = new Metrics();
  const now = new Date();
  const out: RawDocuments = { docs: [], bytes: 0, ruleMatches: 0, decoded: 0, perStream: new Map(), problems, absorbed: 0 };
  const CHUNK = 1000;
  for (let first = 0; first < n; first += CHUNK) {
    const lines: string[] = [];
    for (let i = first; i < Math.min(n, first + CHUNK); i++) lines.push(line(i));
    for (const o of eventsFromLines(lines, { now, decoders, metrics })) {
      if (!('event' in o)) {
        out.absorbed++;
        continue;
      }
      const event = o.event;
      // As processBatch tags an event: the ids of the rules it matched, heartbeats of absence rules left out.
      const findings = matchRules(rules, event, (rule, err) => { throw new Error(`rule ${rule.id} failed on line ${first + o.line}: ${String(err)}`); }).filter((r) => !r.alerting.absence);
      if (findings.length > 0) {
        event.haetae.rules = findings.map((r) => r.id);
        out.ruleMatches++;
      }
      if (event.haetae.decoder?.id && !event.haetae.decoder.error) out.decoded++;
      const index = streams.forModule(event.event.module);
      const json = JSON.stringify(event);
      out.bytes += Buffer.byteLength(json);
      out.perStream.set(index, (out.perStream.get(index) ?? 0) + 1);
      out.docs.push({ index, id: eventDocumentId(opts.idPrefix, 0, String(first + o.line - 1)), json });
    }
  }
  return out;
}
