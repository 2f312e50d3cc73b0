import pino from 'pino';
import { compileValidators } from '../../../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import type { BulkItem, ItemResult } from '../../../connectors/elasticsearch/bulk';
import { createDecoderSet, loadDecoderText, type DecoderProblem } from '../../../pipeline/decoders';
import { eventStreams } from '../../../connectors/elasticsearch/streams';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { loadRuleText } from '../../../pipeline/detect/load';

/**
 * The worker's content stage inside a real batch: vendor decoders fill ECS fields from the
 * message, decide the event's data stream, merge multi-record events, tag failures without
 * dropping anything, and turn a decoded bare line (no syslog header) into an ordinary event.
 */
const validators = compileValidators();
const problems: DecoderProblem[] = [];
const decoders = createDecoderSet(loadDecoderText(`
id: test-login
dataset: acme.login
select: { programs: [acmed], prefixes: ['ACME '] }
unmatched: fail
cases:
  - match: '^(?:ACME )?login (?P<result>ok|failed) user=(?P<user>\\S+) src=(?P<ip>\\S+)'
    map:
      user.name: user
      source.ip: { from: ip, type: ip }
      event.outcome: { from: result, table: outcome }
tables:
  outcome: { ok: success, failed: failure }
samples: []
---
id: test-multi
dataset: acme.multi
code: auditd
select: { programs: [audisp] }
samples: []
`, 'inline.yml', problems));
expect(problems).toEqual([]);

function record(offset: number, text: string): RawRecord {
  const envelope = buildEnvelope(
    { bytes: Buffer.from(text), framing: 'datagram', truncated: false },
    { transport: 'udp', source: { address: '192.0.2.10', port: 40000 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv1', receivedAt: new Date('2026-11-22T10:00:00.000Z') },
  );
  return { topic: 'haetae.raw', partition: 0, offset: String(offset), key: null, value: encodeEnvelope(envelope) };
}

async function run(records: RawRecord[], extra: Partial<WorkerContext> = {}) {
  const stored: BulkItem[] = [];
  const metrics = new Metrics();
  const streams = eventStreams('logs-haetae.syslog-default');
  const ctx: WorkerContext = {
    validateEnvelope: validators.envelope,
    rules: () => [],
    eventsDataStream: streams.base,
    streamFor: (e) => streams.forModule(e.event.module),
    alertsIndex: 'alerts', alertEventsIndex: 'links', channels: [],
    metrics, logger: pino({ level: 'silent' }),
    now: () => new Date('2026-11-22T10:00:01.000Z'),
    decoders: () => decoders,
    ...extra,
    sinks: {
      writeDocuments: async (items: readonly BulkItem[]): Promise<ItemResult[]> => { stored.push(...items); return items.map(() => ({ outcome: 'created' as const })); },
      enqueueNotifications: async () => undefined, deadLetter: async () => undefined, resolveAlerts: async () => [], produceCorrelate: async () => undefined,
    },
  };
  const summary = await processBatch(records, ctx);
  const docs = stored.map((it) => ({ index: it.index, doc: it.document as any }));
  return { summary, docs, metrics };
}

describe('worker batch: vendor decoders', () => {
  it('reads the message into ECS fields and sends the event to its dataset family stream', async () => {
    const { docs, metrics } = await run([record(0, '<38>Nov 22 10:00:00 gw acmed[1]: login failed user=root src=203.0.113.7'), record(1, '<38>Nov 22 10:00:00 gw other: hello')]);
    expect(docs[0]).toMatchObject({
      index: 'logs-haetae.acme-default',
      doc: { user: { name: 'root' }, source: { ip: '203.0.113.7' }, event: { dataset: 'acme.login', module: 'acme', outcome: 'failure' }, log: { source: { address: '192.0.2.10' } }, haetae: { decoder: { id: 'test-login' } } },
    });
    // related.ip keeps the sender and gains the attacker.
    expect(docs[0]!.doc.related.ip).toEqual(expect.arrayContaining(['192.0.2.10', '203.0.113.7']));
    // Not claimed by any decoder: exactly as before decoders existed.
    expect(docs[1]).toMatchObject({ index: 'logs-haetae.syslog-default', doc: { message: 'hello', event: { dataset: 'haetae.syslog' } } });
    expect(docs[1]!.doc.haetae.decoder).toBeUndefined();
    expect(await metrics.value('haetae_decoder_events_total', { decoder: 'test-login', outcome: 'decoded' })).toBe(1);
  });

  it('a bare vendor line without a syslog header is decoded and is not a parse failure', async () => {
    const { docs, summary } = await run([record(0, 'ACME login ok user=alice src=198.51.100.4')]);
    expect(summary.parseFailures).toBe(0);
    expect(docs[0]!.doc).toMatchObject({ user: { name: 'alice' }, event: { kind: 'event', outcome: 'success' }, haetae: { syslog: { format: 'none' } } });
    expect(docs[0]!.doc.tags ?? []).not.toContain('haetae_parse_failure');
    // An undecodable bare line stays a parse failure, kept whole.
    const other = await run([record(0, 'no header, no decoder')]);
    expect(other.summary.parseFailures).toBe(1);
    expect(other.docs[0]!.doc.tags).toContain('haetae_parse_failure');
  });

  it('a decoder that fails on its message tags the event and keeps every header field', async () => {
    const { docs, metrics } = await run([record(0, '<38>Nov 22 10:00:00 gw acmed[1]: something else entirely')]);
    // The decoder claimed it by program but no case matched (unmatched: fail).
    expect(docs).toHaveLength(1);
    const doc = docs[0]!.doc;
    expect(doc).toMatchObject({ message: 'something else entirely', host: { hostname: 'gw' }, process: { name: 'acmed' }, haetae: { decoder: { id: 'test-login' } } });
    expect(doc.haetae.decoder.error).toEqual(expect.any(String));
    expect(doc.tags).toContain('haetae_decoder_failure');
    expect(doc.user).toBeUndefined();
    expect(await metrics.value('haetae_decoder_events_total', { decoder: 'test-login', outcome: 'failed' })).toBe(1);
  });

  it('merges the records of one auditd event into one document that keeps every line', async () => {
    const lines = [
      'type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55d a1=55e a2=55f a3=0 items=2 ppid=1000 pid=1234 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="id" exe="/usr/bin/id" key="exec"',
      'type=EXECVE msg=audit(1700000000.123:4242): argc=1 a0="id"',
      'type=EOE msg=audit(1700000000.123:4242):',
    ];
    const { docs, summary } = await run(lines.map((l, i) => record(i, `<14>Nov 22 10:00:00 host1 audisp: ${l}`)));
    expect(summary.events).toBe(1);
    expect(docs).toHaveLength(1);
    const doc = docs[0]!.doc;
    for (const l of lines) expect(doc.event.original).toContain(l);
    expect(doc.process).toMatchObject({ pid: 1234, executable: '/usr/bin/id' });
  });

  it('enrichment runs after the decoders, and an asset\'s criticality raises the alert when configured', async () => {
    const problems2: Parameters<typeof loadRuleText>[3] = [];
    const rules = loadRuleText('title: login failure\nid: acme-fail\nlevel: low\ndetection:\n  sel:\n    event.outcome: failure\n  condition: sel\n', 'r.yml', validators.rule, problems2).map((r) => r.rule);
    const seen: string[] = [];
    // A stand-in enricher: it sees the decoded source.ip and marks the asset critical.
    const enrich = (e: any): void => { seen.push(e.source?.ip); e.haetae.asset = { criticality: 'critical' }; };
    const line = [record(0, '<38>Nov 22 10:00:00 gw acmed[1]: login failed user=root src=203.0.113.7')];
    const raised = await run(line, { rules: () => rules, enrich, raiseSeverity: true });
    expect(seen).toEqual(['203.0.113.7']);
    expect(raised.docs.find((d) => d.index === 'alerts')!.doc.alert.severity).toBe('high');
    const plain = await run(line, { rules: () => rules, enrich, raiseSeverity: false });
    expect(plain.docs.find((d) => d.index === 'alerts')!.doc.alert.severity).toBe('low');
  });
});
