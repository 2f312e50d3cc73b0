/**
 * CPU cost of the worker's per-event work — decode, parse, normalize, detect (shipped rules),
 * alert building — with in-memory sinks, so the figure is haetae's own cost without Kafka or
 * Elasticsearch. Median of 5 runs of 100k events. `npm run bench:worker`.
 */
import path from 'node:path';
import pino from 'pino';
import { compileValidators } from '../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type WorkerContext } from '../pipeline/roles/worker/process-batch';
import { loadRules } from '../pipeline/detect/load';
import { CorrelationRouter } from '../pipeline/correlate/route';
import { absenceRuleOf } from '../pipeline/correlate/absence';
import { Metrics } from '../pipeline/telemetry/metrics';
import { shippedDecoders } from '../pipeline/decoders/shipped';
import { heapMiB, median, printTable } from './report';

const N = 100_000;
const BATCH = 2_000;
const RUNS = 5;

const validators = compileValidators();
const set = loadRules([path.join(__dirname, '..', '..', 'rules')], validators.rule);
const rules = set.rules;
// As the worker routes: hits of correlated and absence rules become correlate-topic records.
const router = new CorrelationRouter(set.correlations, rules.flatMap((r) => absenceRuleOf(r) ?? []));
let routed = 0;
let routedBytes = 0;
const lines = [
  '<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.5 port 52113 ssh2',
  '<86>Nov 22 10:00:01 web1 sshd[812]: Accepted publickey for alice from 198.51.100.4 port 50022 ssh2',
  '<165>1 2026-11-22T10:00:00.123Z fw1 kernel - - [meta sequenceId="1"] IN=eth0 OUT= SRC=203.0.113.9 DST=10.0.0.5 PROTO=TCP',
  '<189>123: *Nov 22 10:00:10.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.9)',
  '<30>Nov 22 10:00:02 db1 systemd[1]: Started Daily apt upgrade and clean activities.',
];
const records: RawRecord[] = Array.from({ length: N }, (_, i) => {
  const env = buildEnvelope(
    { bytes: Buffer.from(lines[i % lines.length]!), framing: 'datagram', truncated: false },
    { transport: 'udp', source: { address: '192.0.2.10', port: 514 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'bench', receivedAt: new Date('2026-11-22T10:00:05Z') },
  );
  return { topic: 'haetae.raw', partition: 0, offset: String(i), key: null, value: encodeEnvelope(env) };
});

let alerts = 0;
const ctx: WorkerContext = {
  validateEnvelope: validators.envelope,
  rules: () => rules,
  router: () => router,
  eventsDataStream: 'logs-haetae.syslog-default',
  alertsIndex: 'haetae-alerts',
    alertEventsIndex: 'haetae-alert-events',
  channels: ['webhook'],
  metrics: new Metrics(),
  logger: pino({ level: 'silent' }),
  sinks: {
    writeDocuments: async (items) => items.map(() => ({ outcome: 'created' as const })),
    enqueueNotifications: async (jobs) => { alerts += jobs.length; },
    deadLetter: async () => undefined,
    resolveAlerts: async () => [],
    produceCorrelate: async (records) => { for (const r of records) routedBytes += JSON.stringify(r.message).length; routed += records.length; },
  },
};

async function run(c: WorkerContext = ctx): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += BATCH) await processBatch(records.slice(i, i + BATCH), c);
  return Number(process.hrtime.bigint() - t0);
}
// The same batches with the shipped vendor decoders reading each message (sshd, iptables, Cisco IOS, systemd …).
const decoded: WorkerContext = { ...ctx, decoders: () => shippedDecoders() };

void (async () => {
  await run(); // warm-up
  alerts = 0;
  routed = 0;
  routedBytes = 0;
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await run());
  const ns = median(runs) / N;
  const counts = { alerts: alerts / RUNS, routed: routed / RUNS, bytes: Math.round(routedBytes / Math.max(1, routed)) };
  await run(decoded);
  const withDecoders: number[] = [];
  for (let r = 0; r < RUNS; r++) withDecoders.push(await run(decoded));
  const dns = median(withDecoders) / N;
  printTable(`Worker CPU per event (decode → parse → normalize → [vendor decoders] → detect → alert → correlation routing), in-memory sinks, ${rules.length} shipped rules, ${shippedDecoders().decoders.length} shipped decoders, median of ${RUNS} × ${N.toLocaleString('en-US')} events`, ['scenario', 'µs/event', 'events/s/core', 'heap MiB'], [
    ['mixed syslog, header fields only', ns / 1000, 1e9 / ns, heapMiB()],
    ['mixed syslog, read by the shipped decoders', dns / 1000, 1e9 / dns, heapMiB()],
  ]);
  process.stdout.write(`(header fields only — alerts per run: ${counts.alerts}; correlate-topic records per run: ${counts.routed} — every event naming a host is a heartbeat of the shipped device-stopped-logging rule — serialised as the producer would, ${counts.bytes} bytes each)\n`);
})();
