/**
 * Sysmon for Linux: the Windows-style event XML that Sysinternals' Sysmon writes into syslog
 * (TAG `sysmon`), one `<Event>…</Event>` per message:
 *
 *   <Event><System><Provider Name="Linux-Sysmon" …/><EventID>1</EventID>…<Computer>host</Computer>
 *   <Security UserId="0"/></System><EventData><Data Name="RuleName">-</Data>
 *   <Data Name="Image">/usr/bin/curl</Data>…</EventData></Event>
 *
 * Event ids mapped to ECS: 1 process create, 3 network connect, 4 service state change,
 * 5 process terminate, 9 raw access read, 10 process access, 11 file create, 16 config change,
 * 23 file delete. Targets follow rules/mappings/linux-sysmon.yml (Elastic's sysmon_linux
 * integration conventions); Sysmon-only fields stay under `sysmon.*`. Every EventData value is
 * that no mapping reads is kept raw as `sysmon.data.<Name>`. Values of '-' (Sysmon's "none") are left out.
 *
 * Dataset: `sysmon_linux.log` (as Elastic's Sysmon for Linux integration).
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { Fields, MAX_INPUT, basename, dirname, ecsHashName, guarded, isIp, splitArgs, toInt } from './common';
import { eventDocOf, liteAttr, liteChild, parseXml, readEventXml, type EventDoc } from './xml';

export const DATASET = 'sysmon_linux.log';

interface Categorization { action: string; category: string[]; type: string[] }

const EVENTS: Record<number, Categorization> = {
  1: { action: 'process-created', category: ['process'], type: ['start'] },
  3: { action: 'network-connection-detected', category: ['network'], type: ['connection', 'start'] },
  4: { action: 'sysmon-service-state-changed', category: ['process'], type: ['change'] },
  5: { action: 'process-terminated', category: ['process'], type: ['end'] },
  9: { action: 'raw-access-read', category: ['driver'], type: ['info'] }, // ECS allows no 'access' type for driver
  10: { action: 'process-accessed', category: ['process'], type: ['access'] },
  11: { action: 'file-created', category: ['file'], type: ['creation'] },
  16: { action: 'sysmon-config-changed', category: ['configuration'], type: ['change'] },
  23: { action: 'file-deleted', category: ['file'], type: ['deletion'] },
};

/** Sysmon writes '-' for "no value". */
const val = (v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' || t === '-' ? undefined : t;
};

/** "2021-10-18 13:32:21.245" (UTC) → ISO 8601 "2021-10-18T13:32:21.245Z". */
export function sysmonTime(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]!.replace(/(\.\d{3})\d+$/, '$1')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "SHA256=AB…,MD5=CD…" → [['sha256','ab…'], …]. */
export function parseHashes(v: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of v.split(',').slice(0, 16)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const alg = ecsHashName(part.slice(0, eq));
    const hex = part.slice(eq + 1).trim();
    if (alg && /^[0-9A-Fa-f]{16,128}$/.test(hex)) out.push([alg, hex.toLowerCase()]);
  }
  return out;
}

/**
 * The EventData names decode() reads, each with a slot: an event's values are then one array
 * (no Map built per event) and the unread ones are found without a Set. A name missing here still
 * works (it is kept aside and searched), only slower.
 */
const READ_NAMES: readonly string[] = [
  'Archived', 'CallTrace', 'CommandLine', 'Configuration', 'ConfigurationFileHash', 'CreationUtcTime', 'CurrentDirectory', 'DestinationHostname',
  'DestinationIp', 'DestinationPort', 'DestinationPortName', 'Device', 'GrantedAccess', 'Hashes', 'Image', 'Initiated',
  'IntegrityLevel', 'IsExecutable', 'LogonGuid', 'LogonId', 'ParentCommandLine', 'ParentImage', 'ParentProcessGuid', 'ParentProcessId',
  'ParentUser', 'ProcessGuid', 'ProcessId', 'Protocol', 'RuleName', 'SchemaVersion', 'SourceHostname', 'SourceImage',
  'SourceIp', 'SourcePort', 'SourcePortName', 'SourceProcessGUID', 'SourceProcessGuid', 'SourceProcessId', 'SourceUser', 'State',
  'TargetFilename', 'TargetImage', 'TargetProcessGUID', 'TargetProcessGuid', 'TargetProcessId', 'TargetUser', 'TerminalSessionId', 'User',
  'UtcTime', 'Version',
];
const SLOT = new Map<string, number>(READ_NAMES.map((n, i) => [n, i]));
const NO_VALUES: ReadonlyArray<string | undefined> = new Array<string | undefined>(READ_NAMES.length).fill(undefined);

/** An event's EventData values: the last value of each name, names in first-seen order. */
class EventValues {
  private readonly vals = NO_VALUES.slice();
  private readonly used = new Uint8Array(READ_NAMES.length);
  /** Names in first-seen order: a slot, or the name itself when it has none. */
  private readonly order: Array<number | string> = [];
  /** Names without a slot and their values, alternating (rare: names decode() never reads). */
  private extra: string[] | null = null;
  private extraUsed: Set<string> | null = null;

  add(name: string, value: string): void {
    const s = SLOT.get(name);
    if (s !== undefined) {
      if (this.vals[s] === undefined) this.order.push(s);
      this.vals[s] = value;
      return;
    }
    const x = (this.extra ??= []);
    for (let i = 0; i < x.length; i += 2) if (x[i] === name) { x[i + 1] = value; return; }
    x.push(name, value);
    this.order.push(name);
  }

  /** A value decode() reads (marked read: not repeated raw under sysmon.data.*). */
  read(name: string): string | undefined {
    const s = SLOT.get(name);
    if (s !== undefined) {
      this.used[s] = 1;
      return this.vals[s];
    }
    (this.extraUsed ??= new Set()).add(name);
    return this.extraValue(name);
  }

  /** The values nothing read, in first-seen order. */
  unread(fn: (name: string, value: string) => void): void {
    for (const o of this.order) {
      if (typeof o === 'number') {
        if (this.used[o] === 0) fn(READ_NAMES[o]!, this.vals[o]!);
      } else if (!this.extraUsed?.has(o)) {
        fn(o, this.extraValue(o)!);
      }
    }
  }

  private extraValue(name: string): string | undefined {
    const x = this.extra;
    if (x !== null) for (let i = 0; i < x.length; i += 2) if (x[i] === name) return x[i + 1];
    return undefined;
  }
}

/** An EventData name kept raw under sysmon.data.*: [A-Za-z][A-Za-z0-9_]{0,63}. */
function isDataName(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) continue;
    if (i > 0 && ((c >= 48 && c <= 57) || c === 95)) continue;
    return false;
  }
  return true;
}

function decode(input: DecoderInput): DecodeResult | null {
  const start = input.message.indexOf('<Event');
  if (start < 0 || start > 256) return null;
  const text = input.message.slice(start);
  if (text.length > MAX_INPUT) return { ok: false, reason: `sysmon: event XML longer than ${MAX_INPUT} characters` };
  const src = text.trimEnd();
  // The one-pass reader takes the usual document; the full parser reports errors (with their
  // offset) and reads the rare documents with comments or CDATA.
  let doc: EventDoc | null = readEventXml(src);
  if (doc === null) {
    const xml = parseXml(src);
    if (!xml.ok) return { ok: false, reason: `sysmon: malformed event XML: ${xml.error}` };
    doc = eventDocOf(xml.root);
  }
  if (doc.root !== 'Event') return null;
  const system = doc.system;
  if (!system) return { ok: false, reason: 'sysmon: event without <System>' };
  // Other Windows-style event XML (not Sysmon's) is not this decoder's.
  const provider = liteAttr(liteChild(system, 'Provider'), 'Name');
  if (provider !== undefined && !/sysmon/i.test(provider)) return null;
  const eventId = toInt(liteChild(system, 'EventID')?.text.trim());
  if (eventId === null) return { ok: false, reason: 'sysmon: event without a numeric <EventID>' };

  const data = new EventValues();
  if (doc.eventData) {
    for (const d of doc.eventData) {
      if (d.name !== 'Data') continue;
      const name = liteAttr(d, 'Name');
      if (name && isDataName(name)) data.add(name, d.text);
    }
  }

  // Every read of an EventData value goes through d(), so the unmapped ones can be kept raw.
  const d = (name: string): string | undefined => data.read(name);
  const f = new Fields();
  const cat = EVENTS[eventId];
  f.set('event.kind', 'event');
  f.set('event.code', String(eventId));
  f.set('event.provider', provider);
  if (cat) {
    f.set('event.action', cat.action);
    f.set('event.category', cat.category);
    f.set('event.type', cat.type);
  }
  const computer = val(liteChild(system, 'Computer')?.text);
  if (computer) {
    f.set('host.name', computer);
    f.related('hosts', computer);
  }
  f.set('sysmon.event_id', eventId);
  f.setInt('sysmon.record_id', liteChild(system, 'EventRecordID')?.text.trim());
  f.set('sysmon.channel', val(liteChild(system, 'Channel')?.text));
  f.set('sysmon.version', toInt(liteChild(system, 'Version')?.text.trim()) ?? undefined);
  f.set('sysmon.system_time', liteAttr(liteChild(system, 'TimeCreated'), 'SystemTime'));
  f.set('sysmon.rule_name', val(d('RuleName')));
  f.set('sysmon.utc_time', val(d('UtcTime')));
  f.set('sysmon.event_created', sysmonTime(d('UtcTime')));

  // Process (the acting process of every event but 4/16).
  const image = val(d('Image'));
  if (image) {
    f.set('process.executable', image);
    f.set('process.name', basename(image));
  }
  f.setInt('process.pid', d('ProcessId'));
  f.set('process.entity_id', val(d('ProcessGuid')));
  const cmd = val(d('CommandLine'));
  if (cmd) {
    f.set('process.command_line', cmd);
    const args = splitArgs(cmd);
    if (args.length > 0) {
      f.set('process.args', args);
      f.set('process.args_count', args.length);
    }
  }
  f.set('process.working_directory', val(d('CurrentDirectory')));
  const user = val(d('User'));
  if (user) {
    f.set('user.name', user);
    f.related('user', user);
  }
  const parentImage = val(d('ParentImage'));
  if (parentImage) {
    f.set('process.parent.executable', parentImage);
    f.set('process.parent.name', basename(parentImage));
  }
  f.setInt('process.parent.pid', d('ParentProcessId'));
  f.set('process.parent.entity_id', val(d('ParentProcessGuid')));
  const parentCmd = val(d('ParentCommandLine'));
  if (parentCmd) {
    f.set('process.parent.command_line', parentCmd);
    const args = splitArgs(parentCmd);
    if (args.length > 0) f.set('process.parent.args', args);
  }
  const parentUser = val(d('ParentUser'));
  if (parentUser) {
    f.set('process.parent.user.name', parentUser);
    f.related('user', parentUser);
  }
  f.set('sysmon.logon_id', val(d('LogonId')));
  f.set('sysmon.logon_guid', val(d('LogonGuid')));
  f.setInt('sysmon.terminal_session_id', d('TerminalSessionId'));
  f.set('sysmon.integrity_level', val(d('IntegrityLevel')));
  const hashes = val(d('Hashes'));
  if (hashes) {
    f.set('sysmon.hashes', hashes);
    // Event 23's Hashes describe the deleted file; event 1's the process image.
    const target = eventId === 23 ? 'file.hash' : 'process.hash';
    for (const [alg, hex] of parseHashes(hashes)) {
      f.set(`${target}.${alg}`, hex);
      f.related('hash', hex);
    }
  }

  // Files (11, 23) and raw device reads (9).
  const target = val(d('TargetFilename'));
  if (target) {
    f.set('file.path', target);
    f.set('file.name', basename(target));
    f.set('file.directory', dirname(target) || undefined);
  }
  f.set('file.created', sysmonTime(d('CreationUtcTime')));
  const device = val(d('Device'));
  if (device) {
    f.set('file.path', device);
    f.set('file.name', basename(device));
    f.set('sysmon.device', device);
  }
  f.set('sysmon.is_executable', val(d('IsExecutable')));
  f.set('sysmon.archived', val(d('Archived')));

  // Network (3).
  if (eventId === 3) {
    const proto = val(d('Protocol'));
    if (proto) f.set('network.transport', proto.toLowerCase());
    const initiated = val(d('Initiated'));
    if (initiated) {
      f.set('sysmon.initiated', initiated);
      if (initiated === 'true') f.set('network.direction', 'egress');
      else if (initiated === 'false') f.set('network.direction', 'ingress');
    }
    f.set('sysmon.source_is_ipv6', val(d('SourceIsIpv6')));
    f.set('sysmon.destination_is_ipv6', val(d('DestinationIsIpv6')));
    f.set('sysmon.source_port_name', val(d('SourcePortName')));
    f.set('sysmon.destination_port_name', val(d('DestinationPortName')));
    const sip = val(d('SourceIp'));
    const dip = val(d('DestinationIp'));
    if (isIp(sip)) f.setIp('source.ip', sip);
    if (isIp(dip)) f.setIp('destination.ip', dip);
    f.setPort('source.port', d('SourcePort'));
    f.setPort('destination.port', d('DestinationPort'));
    const sh = val(d('SourceHostname'));
    const dh = val(d('DestinationHostname'));
    if (sh) { f.set('source.domain', sh); f.related('hosts', sh); }
    if (dh) { f.set('destination.domain', dh); f.related('hosts', dh); }
    const v6 = val(d('SourceIsIpv6')) === 'true' || val(d('DestinationIsIpv6')) === 'true';
    if (sip || dip) f.set('network.type', v6 ? 'ipv6' : 'ipv4');
  }

  // Process access (10): the source process acts on the target.
  if (eventId === 10) {
    const src = val(d('SourceImage'));
    if (src) { f.set('process.executable', src); f.set('process.name', basename(src)); }
    f.setInt('process.pid', d('SourceProcessId'));
    f.set('process.entity_id', val(d('SourceProcessGUID')) ?? val(d('SourceProcessGuid')));
    const tgt = val(d('TargetImage'));
    if (tgt) { f.set('sysmon.target_process.executable', tgt); f.set('sysmon.target_process.name', basename(tgt)); }
    f.setInt('sysmon.target_process.pid', d('TargetProcessId'));
    f.set('sysmon.target_process.entity_id', val(d('TargetProcessGUID')) ?? val(d('TargetProcessGuid')));
    f.set('sysmon.granted_access', val(d('GrantedAccess')));
    f.set('sysmon.call_trace', val(d('CallTrace')));
    const su = val(d('SourceUser'));
    const tu = val(d('TargetUser'));
    if (su) { f.set('user.name', su); f.related('user', su); }
    if (tu) { f.set('sysmon.target_user', tu); f.related('user', tu); }
  }

  // Service state (4) and configuration change (16).
  f.set('sysmon.state', val(d('State')));
  f.set('sysmon.schema_version', val(d('SchemaVersion')));
  if (eventId === 4) f.set('service.version', val(d('Version')));
  f.set('sysmon.configuration', val(d('Configuration')));
  const cfgHash = val(d('ConfigurationFileHash'));
  if (cfgHash) {
    f.set('sysmon.configuration_file_hash', cfgHash);
    for (const [alg, hex] of parseHashes(cfgHash)) f.set(`file.hash.${alg}`, hex);
  }

  // EventData values no mapping above read, raw under sysmon.data.* ('-' left out).
  data.unread((k, v) => { if (val(v) !== undefined) f.set(`sysmon.data.${k}`, v); });

  return { ok: true, dataset: DATASET, fields: f.out };
}

export const sysmonLinux: BuiltinCode = { decode: guarded('sysmon', decode) };
