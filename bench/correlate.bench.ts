/**
 * Throughput and memory of the in-memory correlation engine: one event_count rule, 100,000
 * distinct source.ip groups, 1,000,000 observations in event-time order with a little jitter
 * (within the allowed lateness). Two shapes: a 5m window that the watermark keeps pruning (steady
 * state), and a 1h window that never closes during the run (every observation stays buffered —
 * the worst case for memory). `npm run bench:correlate`.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import YAML from 'yaml';
import { CorrelationEngine } from '../pipeline/correlate/engine';
import { parseCorrelation } from '../pipeline/correlate/parse';
import { CorrelationRouter, parseCorrelateMessage } from '../pipeline/correlate/route';
import { PartitionCorrelator, emptyOutput } from '../pipeline/roles/correlator/partition';
import { heapMiB, median, printTable } from './report';

const GROUPS = 100_000;
const N = 1_000_000;
const RUNS = 3;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const STEP_MS = 1; // 1,000,000 observations over ~16.7 minutes of event time

// Heap figures are only meaningful after a full collection; expose gc without a command-line flag.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ref = { id: 'r-failed', name: 'failed_login' };
const events = Array.from({ length: GROUPS }, (_, i) => ({ source: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } }));

function rule(timespan: string, gte: number) {
  const parsed = parseCorrelation(YAML.parse(`title: bench\nid: bench\ncorrelation: {type: event_count, rules: [failed_login], group-by: [source.ip], timespan: ${timespan}, condition: {gte: ${gte}}}`));
  if (!parsed.rule) throw new Error(JSON.stringify(parsed.problems));
  return parsed.rule;
}

interface Result { ns: number; alerts: number; stateMiB: number; groups: number; entries: number; lateDropped: number }

function once(timespan: string, gte: number): Result {
  gc();
  const base = heapMiB();
  const engine = new CorrelationEngine([rule(timespan, gte)], { allowedLatenessMs: 5_000 });
  let alerts = 0;
  let seed = 12345;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const key = seed % GROUPS;
    const jitter = (seed >>> 20) % 2_000; // up to 2 s out of order, inside the 5 s lateness
    alerts += engine.observe(ref, events[key]!, new Date(T0 + i * STEP_MS - jitter)).length;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  gc();
  const s = engine.stats();
  return { ns, alerts, stateMiB: heapMiB() - base, groups: s.groups, entries: s.bufferedEntries, lateDropped: s.lateDropped };
}

function scenario(label: string, timespan: string, gte: number): (string | number)[] {
  once(timespan, gte); // warm-up
  const results = Array.from({ length: RUNS }, () => once(timespan, gte));
  const ns = median(results.map((r) => r.ns)) / N;
  const last = results[results.length - 1]!;
  return [label, 1e9 / ns, ns / 1000, last.alerts, last.groups, last.entries, last.stateMiB];
}

const rows = [
  scenario('5m window, gte 5 (pruned by watermark)', '5m', 5),
  scenario('1h window, gte 1000 (nothing closes)', '1h', 1000),
];
printTable(
  `Correlation engine, event_count over ${GROUPS.toLocaleString('en-US')} groups, ${N.toLocaleString('en-US')} observations, median of ${RUNS} runs`,
  ['scenario', 'events/s', 'µs/event', 'alerts', 'groups after', 'entries after', 'state heap MiB'],
  rows,
);
process.stdout.write(`(heap used at exit: ${heapMiB().toFixed(1)} MiB, including the ${GROUPS.toLocaleString('en-US')} pre-built events)\n`);

/**
 * The streaming path as a correlator runs it: correlate-topic record bytes → parse → the
 * partition's engines (with the per-record watermark sweep), then the checkpoint a correlator
 * writes to Redis: its size and the time to serialise and to restore it.
 */
function streaming(timespan: string, gte: number): (string | number)[] {
  const M = 300_000;
  const router = new CorrelationRouter([rule(timespan, gte)]);
  let seed = 999;
  const records: Buffer[] = [];
  for (let i = 0; i < M; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const key = seed % GROUPS;
    const [r] = router.route(ref, events[key]!, T0 + i * 3 - ((seed >>> 20) % 2_000), `ev-${i}`);
    records.push(Buffer.from(JSON.stringify(r!.message)));
  }
  gc();
  const base = heapMiB();
  const pc = new PartitionCorrelator({ allowedLatenessMs: 5_000 });
  const out = emptyOutput();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < M; i++) pc.apply(parseCorrelateMessage(records[i]!)!, BigInt(i), router, out);
  const ns = Number(process.hrtime.bigint() - t0) / M;
  gc();
  const stateMiB = heapMiB() - base;
  const c0 = process.hrtime.bigint();
  const json = JSON.stringify(pc.checkpoint());
  const saveMs = Number(process.hrtime.bigint() - c0) / 1e6;
  const r0 = process.hrtime.bigint();
  PartitionCorrelator.restore(JSON.parse(json), router, { allowedLatenessMs: 5_000 });
  const restoreMs = Number(process.hrtime.bigint() - r0) / 1e6;
  return [`${timespan} window, gte ${gte}`, 1e9 / ns, ns / 1000, out.correlationAlerts.length, pc.groups(), stateMiB, json.length / 2 ** 20, saveMs, restoreMs];
}

streaming('5m', 5); // warm-up
printTable(
  `Correlator partition (record bytes → parse → engines; checkpoint at the end), ${GROUPS.toLocaleString('en-US')} groups, 300,000 records`,
  ['scenario', 'records/s', 'µs/record', 'alerts', 'groups after', 'state heap MiB', 'checkpoint MiB', 'save ms', 'restore ms'],
  [streaming('5m', 5), streaming('1h', 1000)],
);

/**
 * One noisy group: N observations in one window that never fires (the threshold is out of reach),
 * for the types whose conditions are checked at every event. With a pass over the window per
 * event this grew as N²; the running window aggregate (pipeline/correlate/window.ts) keeps it flat.
 */
function oneWindow(type: string, condition: string, n: number): (string | number)[] {
  const parsed = parseCorrelation(YAML.parse(`title: one\nid: one\ncorrelation: {type: ${type}, rules: [failed_login, successful_login], group-by: [source.ip], timespan: 24h, condition: ${condition}}`));
  if (!parsed.rule) throw new Error(JSON.stringify(parsed.problems));
  const engine = new CorrelationEngine([parsed.rule], { allowedLatenessMs: 5_000 });
  const refs = [ref, { id: 'r-ok', name: 'successful_login' }];
  const evs = Array.from({ length: 1000 }, (_, i) => ({ source: { ip: '203.0.113.5' }, user: { name: `user${i}` }, bytes: i }));
  gc();
  let alerts = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) alerts += engine.observe(refs[i % 7 === 6 ? 1 : 0]!, evs[i % 1000]!, new Date(T0 + i)).length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (alerts !== 0) throw new Error(`${type}: expected no alert, got ${alerts}`);
  return [type, n.toLocaleString('en-US'), ms, (ms * 1000) / n];
}

const windowRows: (string | number)[][] = [];
for (const [type, condition] of [
  ['value_count', '{field: user.name, gte: 100000000}'],
  ['temporal', '{gte: 3}'],
  ['temporal_ordered', '{gte: 3}'],
  ['value_sum', '{field: bytes, gte: 1000000000000}'],
] as const) {
  for (const n of [10_000, 100_000, 1_000_000]) windowRows.push(oneWindow(type, condition, n));
}
printTable(
  'One group, N observations in one 24h window that never fires (conditions checked at every event)',
  ['type', 'N', 'total ms', 'µs/event'],
  windowRows,
);
