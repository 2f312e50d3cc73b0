/**
 * Traps through the worker's batch with the shipped rules: the envelope kind picks the SNMP input,
 * linkDown opens an alert per device and interface, the same interface's linkUp resolves it.
 */
import path from 'node:path';
import pino from 'pino';
import { compileValidators } from '../../../schemas/validators';
import { encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type RecoveryRequest, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import type { BulkItem, ItemResult } from '../../../connectors/elasticsearch/bulk';
import type { Alert, HaetaeEvent, RawEnvelope } from '../../../schemas/generated/types';
import { loadRules } from '../../../pipeline/detect/load';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { CorrelationRouter } from '../../../pipeline/correlate/route';
import { absenceRuleOf } from '../../../pipeline/correlate/absence';

const validators = compileValidators();
const set = loadRules([path.join(__dirname, '..', '..', '..', 'rules')], validators.rule);
const LINK_DOWN = 'fe8ac68a-eccc-4d30-a8bc-239f688c08d9';
const router = new CorrelationRouter(set.correlations, set.rules.flatMap((r) => absenceRuleOf(r) ?? []));

let offset = 0;
function trap(sender: string, trapOid: string, ifIndex: number): RawRecord {
  const envelope: RawEnvelope = {
    v: 1, kind: 'snmp', transport: 'udp', framing: 'datagram', receivedAt: new Date(Date.parse('2026-11-22T10:00:00Z') + offset * 1000).toISOString(),
    source: { address: sender, port: 49152 }, listener: { address: '0.0.0.0', port: 1162 }, payload: Buffer.from('pdu').toString('base64'),
    snmp: {
      version: '2c', pdu: 'trapv2',
      varbinds: [
        { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 100 },
        { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'ObjectIdentifier', value: trapOid },
        { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: 'Integer', value: ifIndex },
      ],
    },
  };
  return { topic: 'haetae.raw', partition: 0, offset: String(offset++), key: Buffer.from(sender), value: encodeEnvelope(envelope) };
}

const mibs = {
  name: (oid: string) => (oid.startsWith('1.3.6.1.2.1.2.2.1.1.') ? { module: 'IF-MIB', name: 'ifIndex', index: oid.slice(20) } : null),
  render: () => null,
};

describe('SNMP traps in the worker batch', () => {
  it('opens linkDown alerts per device and interface and resolves them with that interface\'s linkUp', async () => {
    const stored = new Map<string, object>();
    const resolved: RecoveryRequest[] = [];
    const ctx: WorkerContext = {
      validateEnvelope: validators.envelope,
      rules: () => set.rules,
      router: () => router,
      eventsDataStream: 'events', alertsIndex: 'alerts', alertEventsIndex: 'links', channels: ['webhook'],
      metrics: new Metrics(), logger: pino({ level: 'silent' }),
      mibs: () => mibs,
      sinks: {
        writeDocuments: async (items: readonly BulkItem[]): Promise<ItemResult[]> => items.map((it) => { stored.set(`${it.index}/${it.id}`, it.document); return { outcome: 'created' }; }),
        enqueueNotifications: async () => undefined,
        deadLetter: async () => { throw new Error('nothing should be dead-lettered'); },
        produceCorrelate: async () => undefined,
        resolveAlerts: async (requests) => { resolved.push(...requests); return []; },
      },
    };
    const down = '1.3.6.1.6.3.1.1.5.3';
    const up = '1.3.6.1.6.3.1.1.5.4';
    const summary = await processBatch([trap('192.0.2.10', down, 3), trap('192.0.2.10', down, 3), trap('192.0.2.11', down, 3), trap('192.0.2.10', down, 4)], ctx);
    expect(summary).toMatchObject({ events: 4, parseFailures: 0, deadLettered: 0 });
    const events = [...stored].filter(([k]) => k.startsWith('events/')).map(([, v]) => v as HaetaeEvent);
    expect(events.map((e) => e.event.dataset)).toEqual(['snmp.trap', 'snmp.trap', 'snmp.trap', 'snmp.trap']);
    expect(events[0]!.haetae.rules).toContain(LINK_DOWN);
    const alerts = [...stored].filter(([k]) => k.startsWith('alerts/')).map(([, v]) => v as Alert);
    // Grouped by device and interface (each linkDown trap is an alert; the group's linkUp resolves them all).
    expect(alerts.map((a) => a.alert.group_key).sort()).toEqual([
      'observer.ip=["192.0.2.10"], snmp.varbinds.ifIndex=3',
      'observer.ip=["192.0.2.10"], snmp.varbinds.ifIndex=3',
      'observer.ip=["192.0.2.10"], snmp.varbinds.ifIndex=4',
      'observer.ip=["192.0.2.11"], snmp.varbinds.ifIndex=3',
    ]);
    await processBatch([trap('192.0.2.10', up, 3)], ctx);
    expect(resolved.map((r) => [r.ruleId, r.groupKey])).toEqual([[LINK_DOWN, 'observer.ip=["192.0.2.10"], snmp.varbinds.ifIndex=3']]);
  });
});
