/**
 * SNMP trap/inform envelope → ECS event (event.dataset snmp.trap), in the snmp.* namespace that
 * rules/mappings/snmp.yml documents. The receiver has already authenticated and decrypted the PDU
 * (the worker holds no keys); this stage only gives it meaning:
 *
 * - SNMPv1 traps are put in SNMPv2 form (RFC 3584 §3.1): snmpTrapOID is snmpTraps.(generic+1)
 *   for the six generic traps, else enterprise.0.specific; the v1 header stays in snmp.trap.*.
 * - sysUpTime.0 and snmpTrapOID.0 (the first two varbinds of a v2 notification) become
 *   snmp.trap.uptime / snmp.trap.oid; snmpTrapAddress.0 from a proxy becomes snmp.agent.address.
 * - The remaining varbinds go two ways: snmp.varbinds, one flattened object keyed by MIB object
 *   name (enum values as labels) that rules and analysts use (`snmp.varbinds.ifOperStatus: down`),
 *   and snmp.varbind, the ordered list with OID, MIB name, type, value and label, for search by OID.
 *   Names come from the loaded MIBs; an OID no MIB names keeps its number (dots as underscores in
 *   snmp.varbinds) and is counted in snmp.unresolved.
 *
 * The sending device is the observer (ECS: the device that reported what it saw): observer.ip and
 * log.source.address. source.ip is left for what a trap talks about, which a decoder may fill.
 * A sender (or agent address) listed in snmp.agents also gets host.hostname/host.name and
 * related.hosts; nothing is looked up in DNS.
 */
import type { HaetaeEvent, RawEnvelope } from '../../schemas/generated/types';
import { ECS_VERSION, type RawCoordinates } from './syslog';
import { v1TrapOid } from '../snmp/mib/store';

export { v1TrapOid };

type SnmpPdu = NonNullable<RawEnvelope['snmp']>;
export type SnmpVarbind = SnmpPdu['varbinds'][number];

/** What the normalizer needs from the loaded MIBs (pipeline/snmp/mib). */
export interface TrapMibs {
  /** MODULE, name and instance suffix of an OID, when a loaded MIB names a prefix of it. */
  name(oid: string): { module: string; name: string; index: string } | null;
  /** The value rendered by the MIB object's syntax: enum label, DisplayString, MAC, DateAndTime, TimeTicks… */
  render(vb: SnmpVarbind): { text: string; label?: string } | null;
}

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const SNMP_TRAP_ADDRESS = '1.3.6.1.6.3.18.1.3.0';
const SNMP_TRAP_ENTERPRISE = '1.3.6.1.6.3.1.1.4.3.0';
/** Names of the v1 generic traps 0–5 (snmpTraps.1–6), known without any MIB (RFC 1157). */
const GENERIC_NAMES = ['coldStart', 'warmStart', 'linkDown', 'linkUp', 'authenticationFailure', 'egpNeighborLoss'];
/** Keys of snmp.varbinds are bounded like every other sender-made key. */
const MAX_KEY = 256;

/**
 * The host name of a known agent by IP address (config snmp.agents), or undefined. Exact
 * addresses only; no reverse DNS lookup.
 */
export type AgentHostnames = (address: string) => string | undefined;

export function normalizeTrap(envelope: RawEnvelope, raw: RawCoordinates, now: Date, mibs: TrapMibs | null, hostnameOf?: AgentHostnames | null): HaetaeEvent {
  const pdu = envelope.snmp!;
  const sender = envelope.source.address;
  let trapOid: string | undefined;
  let uptime: number | undefined;
  let agentAddress: string | undefined;
  const body: SnmpVarbind[] = [];
  for (const vb of pdu.varbinds) {
    if (vb.oid === SYS_UPTIME && uptime === undefined && typeof vb.value === 'number') uptime = vb.value;
    else if (vb.oid === SNMP_TRAP_OID && trapOid === undefined && typeof vb.value === 'string') trapOid = vb.value;
    else if (vb.oid === SNMP_TRAP_ADDRESS && typeof vb.value === 'string') agentAddress = vb.value;
    else if (vb.oid !== SNMP_TRAP_ENTERPRISE) body.push(vb);
  }
  const trap: NonNullable<NonNullable<HaetaeEvent['snmp']>['trap']> = {};
  if (pdu.v1) {
    trapOid = v1TrapOid(pdu.v1.enterprise, pdu.v1.generic, pdu.v1.specific);
    trap.enterprise = pdu.v1.enterprise;
    trap.generic = pdu.v1.generic;
    trap.specific = pdu.v1.specific;
    uptime = pdu.v1.timestamp;
    agentAddress = pdu.v1.agentAddress;
  }
  if (trapOid !== undefined) trap.oid = trapOid;
  if (uptime !== undefined) trap.uptime = uptime;

  const trapName = trapOid !== undefined ? mibs?.name(trapOid) ?? null : null;
  let unresolved = trapOid !== undefined && (trapName === null || trapName.index !== '') ? 1 : 0;
  let shortTrapName: string | undefined;
  if (trapName !== null && trapName.index === '') {
    trap.name = `${trapName.module}::${trapName.name}`;
    shortTrapName = trapName.name;
  } else if (pdu.v1 && pdu.v1.generic < 6) {
    // The six generic traps have names even without a MIB: RFC 1157 defines them.
    shortTrapName = GENERIC_NAMES[pdu.v1.generic];
    trap.name = `SNMPv2-MIB::${shortTrapName}`;
    unresolved = 0;
  }

  const varbinds: Record<string, unknown> = {};
  const list: NonNullable<NonNullable<HaetaeEvent['snmp']>['varbind']> = [];
  const words: string[] = [];
  for (const vb of body) {
    const named = mibs?.name(vb.oid) ?? null;
    const rendered = mibs?.render(vb) ?? null;
    if (named === null) unresolved++;
    const text = rendered?.text ?? plainText(vb);
    const key = (named ? named.name : vb.oid.replace(/\./g, '_')).slice(0, MAX_KEY);
    // Enums by label, numbers as numbers, the rest as text: what a rule author writes.
    const fieldValue = rendered?.label ?? (typeof vb.value === 'number' ? vb.value : text);
    if (!(key in varbinds)) varbinds[key] = fieldValue;
    list.push({
      oid: vb.oid,
      ...(named ? { name: `${named.module}::${named.name}${named.index ? `.${named.index}` : ''}` } : {}),
      type: vb.type,
      value: text,
      ...(rendered?.label !== undefined ? { label: rendered.label } : {}),
    });
    words.push(`${key}=${quoteIfNeeded(String(fieldValue))}`);
  }

  const title = trap.name ?? trapOid ?? `${pdu.pdu} without snmpTrapOID`;
  const message = [title, ...words].join(' ');
  const agentKnown = agentAddress && agentAddress !== '0.0.0.0' ? agentAddress : undefined;
  const related = [...new Set([sender, ...(agentKnown ? [agentKnown] : [])])];
  // The sender's name first (what observer.ip shows); a proxy's trap can name its agent instead.
  const hostname = hostnameOf ? hostnameOf(sender) ?? (agentKnown ? hostnameOf(agentKnown) : undefined) : undefined;
  const event: HaetaeEvent = {
    '@timestamp': envelope.receivedAt,
    message,
    ecs: { version: ECS_VERSION },
    event: {
      // The packet is binary (its exact bytes are in haetae.original_base64): the original as text
      // is the trap as a line, the way snmptrapd would log it.
      original: message,
      created: envelope.receivedAt,
      ingested: now.toISOString(),
      kind: 'event',
      dataset: 'snmp.trap',
      module: 'snmp',
      ...(shortTrapName ? { action: shortTrapName } : {}),
    },
    observer: { ip: [sender] },
    ...(hostname ? { host: { hostname, name: hostname } } : {}),
    log: { source: { address: sender } },
    network: { transport: 'udp', protocol: 'snmp' },
    related: { ip: related, ...(hostname ? { hosts: [hostname] } : {}) },
    snmp: {
      version: pdu.version,
      pdu: pdu.pdu,
      trap,
      ...(agentAddress ? { agent: { address: agentAddress } } : {}),
      ...(pdu.v3 ? { security: { user: pdu.v3.user, level: pdu.v3.level }, engine: { id: pdu.v3.engineId } } : {}),
      varbinds,
      varbind: list,
      ...(unresolved > 0 ? { unresolved } : {}),
    },
    haetae: { raw, original_base64: envelope.payload },
  };
  return event;
}

/** A value without MIB knowledge: numbers and dotted text as they are, octets as UTF-8 when printable, else hex. */
function plainText(vb: SnmpVarbind): string {
  if (vb.value === null || vb.value === undefined) return vb.type === 'Null' ? '' : vb.type;
  if (typeof vb.value === 'number') return String(vb.value);
  if (vb.type === 'OctetString' || vb.type === 'Opaque') {
    const bytes = Buffer.from(vb.value, 'base64');
    const text = bytes.toString('utf8');
    return isPrintable(text) && Buffer.from(text, 'utf8').equals(bytes) ? text : bytes.toString('hex').replace(/(..)(?!$)/g, '$1:');
  }
  return vb.value;
}

function isPrintable(s: string): boolean {
  // Printable text: no control characters other than tab, CR and LF.
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s);
}

function quoteIfNeeded(s: string): string {
  return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
}
