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
import { Fields, MAX_INPUT, MAX_VALUE, basename, dirname, ecsHashName, guarded, isIp, splitArgs, toInt, toPort } from './common';
import type { DecodedFields } from '../types';
import { decodeEntities, eventDocOf, liteAttr, liteChild, parseXml, readEventXml, type EventDoc } from './xml';

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
  const fast = sysmonTimeFast(v);
  if (fast !== null) return fast;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]!.replace(/(\.\d{3})\d+$/, '$1')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * sysmonTime for the usual shape, without a regex or a Date: "YYYY-MM-DD hh:mm:ss[.f{1,9}][Z]" with
 * a year from 1970, a day up to 28 and a valid time, whose ISO form can be written directly
 * (fraction cut or padded to milliseconds, as the Date does). null: leave it to the general path.
 */
function sysmonTimeFast(v: string): string | null {
  const n = v.length;
  if (n < 19 || n > 30) return null;
  const dg = (i: number): number => {
    const c = v.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : -100;
  };
  const year = dg(0) * 1000 + dg(1) * 100 + dg(2) * 10 + dg(3);
  const month = dg(5) * 10 + dg(6);
  const day = dg(8) * 10 + dg(9);
  const hour = dg(11) * 10 + dg(12);
  const min = dg(14) * 10 + dg(15);
  const sec = dg(17) * 10 + dg(18);
  const sep = v.charCodeAt(10);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59) return null;
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84) || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return null;
  let end = n;
  if (v.charCodeAt(end - 1) === 90 /* Z */) end--;
  let ms = '.000';
  if (end > 19) {
    if (v.charCodeAt(19) !== 46 /* . */ || end - 20 < 1 || end - 20 > 9) return null;
    for (let i = 20; i < end; i++) if (dg(i) < 0) return null;
    ms = end - 20 >= 3 ? v.slice(19, 23) : v.slice(19, end) + (end - 20 === 1 ? '00' : '0');
  }
  return `${v.slice(0, 10)}T${v.slice(11, 19)}${ms}Z`;
}

/** /^[0-9A-Fa-f]{16,128}$/ without a regex. */
function isHex(s: string): boolean {
  const n = s.length;
  if (n < 16 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c < 65 || (c | 32) < 97 || (c | 32) > 102) return false; // A-F, a-f
  }
  return true;
}

/** "SHA256=AB…,MD5=CD…" → [['sha256','ab…'], …]. */
export function parseHashes(v: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of v.split(',').slice(0, 16)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const alg = ecsHashName(part.slice(0, eq));
    const hex = part.slice(eq + 1).trim();
    if (alg && isHex(hex)) out.push([alg, hex.toLowerCase()]);
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

/** READ_NAMES' slots by name length, for slotAt. */
const SLOTS_BY_LENGTH: number[][] = [];
READ_NAMES.forEach((name, slot) => (SLOTS_BY_LENGTH[name.length] ??= []).push(slot));

/** The slot of the name src[start, end) (-1: none), found without cutting the name out. */
function slotAt(src: string, start: number, end: number): number {
  const list = SLOTS_BY_LENGTH[end - start];
  if (list === undefined) return -1;
  for (let i = 0; i < list.length; i++) {
    const name = READ_NAMES[list[i]!]!;
    let k = 0;
    while (k < name.length && src.charCodeAt(start + k) === name.charCodeAt(k)) k++;
    if (k === name.length) return list[i]!;
  }
  return -1;
}

/** An event's EventData values: the last value of each name, names in first-seen order. */
export class EventValues {
  private readonly vals = NO_VALUES.slice();
  private readonly used = new Uint8Array(READ_NAMES.length);
  /** Names in first-seen order: a slot, or the name itself when it has none. */
  private readonly order: Array<number | string> = [];
  /** Names without a slot and their values, alternating (rare: names decode() never reads). */
  private extra: string[] | null = null;
  private extraUsed: Set<string> | null = null;

  /** add() for a name decode() reads, by its slot. */
  set(s: number, value: string): void {
    if (this.vals[s] === undefined) this.order.push(s);
    this.vals[s] = value;
  }

  /** add() for a <Data Name> as written: names decode() reads are valid; others must be isDataName. */
  addData(name: string, value: string): void {
    const s = SLOT.get(name);
    if (s !== undefined) {
      if (this.vals[s] === undefined) this.order.push(s);
      this.vals[s] = value;
    } else if (isDataName(name)) {
      this.add(name, value);
    }
  }

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

/** What decode() reads of an event document's <System>: the first child of each name, as liteChild finds it. */
export interface SystemInfo {
  /** The first <Provider>'s Name attribute (its last one). */
  provider: string | undefined;
  eventId: string | undefined;
  version: string | undefined;
  recordId: string | undefined;
  channel: string | undefined;
  computer: string | undefined;
  /** The first <TimeCreated>'s SystemTime attribute. */
  systemTime: string | undefined;
}

/** XML whitespace. */
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/** [-A-Za-z0-9_:.] (2: may also start a name: [A-Za-z_:]). */
const NAME_CHARS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58) t[c] = 2;
    else if ((c >= 48 && c <= 57) || c === 45 || c === 46) t[c] = 1;
  }
  return t;
})();

/** End of an XML name starting at i (i itself when there is none). */
function nameEnd(src: string, i: number): number {
  const n = src.length;
  if (i >= n) return i;
  const c = src.charCodeAt(i);
  if (c >= 128 || NAME_CHARS[c] !== 2) return i;
  for (i++; i < n; i++) {
    const d = src.charCodeAt(i);
    if (d >= 128 || NAME_CHARS[d] === 0) break;
  }
  return i;
}

/** Whether src[s, e) is exactly `name`. */
function isName(src: string, s: number, e: number, name: string): boolean {
  if (e - s !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (src.charCodeAt(s + k) !== name.charCodeAt(k)) return false;
  return true;
}

/** Where the next '&' is in the document scanEvent reads (-1: none left), for cut. */
let nextAmp = -1;

/**
 * src[start, end) with entities decoded, as decodeEntities gives it, without looking for '&' in
 * each piece: scanEvent cuts its pieces in document order and knows where the next '&' is.
 */
function cut(src: string, start: number, end: number): string {
  if (nextAmp >= 0 && nextAmp < start) nextAmp = src.indexOf('&', start);
  return nextAmp >= 0 && nextAmp < end ? decodeEntities(src.slice(start, end)) : src.slice(start, end);
}

/** The value of the attribute `attrs` was asked for (the last of that name), undefined when absent. */
let attrValue: string | undefined;

/**
 * Reads a start tag's attributes from pos (after its name) as readEventXml checks them, up to its
 * `>` or `/>`; keeps the last value of `want` (entities decoded) in attrValue. Returns the position
 * of that `>` or `/`, or -1 when the tag is malformed.
 */
function attrs(src: string, pos: number, want: string | null): number {
  const n = src.length;
  attrValue = undefined;
  for (;;) {
    while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
    if (pos >= n) return -1;
    const c = src.charCodeAt(pos);
    if (c === 62 /* > */) return pos;
    if (c === 47 /* / */) return src.charCodeAt(pos + 1) === 62 ? pos : -1;
    const as = pos;
    const ae = nameEnd(src, pos);
    if (ae === pos) return -1;
    pos = ae;
    while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
    if (src.charCodeAt(pos) !== 61 /* = */) return -1;
    pos++;
    while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
    const q = src.charCodeAt(pos);
    if (q !== 34 && q !== 39) return -1;
    const end = src.indexOf(q === 34 ? '"' : "'", pos + 1);
    if (end < 0) return -1;
    if (want !== null && isName(src, as, ae, want)) attrValue = cut(src, pos + 1, end);
    pos = end + 1;
  }
}

/** The <System> children decode() reads, first one of each name (as liteChild finds it). */
const SYS_NAMES = ['Provider', 'EventID', 'Version', 'EventRecordID', 'Channel', 'Computer', 'TimeCreated'] as const;
const SYS_PROVIDER = 0, SYS_TIME_CREATED = 6;
/** The attribute decode() reads of a <System> child, by its index in SYS_NAMES. */
const SYS_ATTR: ReadonlyArray<string | null> = ['Name', null, null, null, null, null, 'SystemTime'];

/**
 * Sysmon's own document shape, read straight into what decode() reads:
 * `<Event …><System>` children `<X …/>` or `<X …>text</X>` `</System><EventData>` children
 * `<Data Name="n">text</Data>` `</EventData></Event>`, nothing between the tags. It is well-formed
 * XML, and readEventXml would give the same values (the first of each <System> child, the last of
 * an attribute, text with entities decoded); this reads them without an element list, a stack or
 * a string it does not keep. null: any other document — spaces between tags, comments, CDATA,
 * deeper elements, another root, malformed input — which decode() hands to readEventXml and parseXml
 * (then `data` may hold values: the caller discards it).
 */
export function scanEvent(src: string, data: EventValues): SystemInfo | null {
  const n = src.length;
  if (!src.startsWith('<Event', 0)) return null;
  nextAmp = src.indexOf('&');
  let pos = 6;
  const c6 = src.charCodeAt(pos);
  if (c6 !== 62 /* > */) {
    if (!isSpace(c6)) return null; // another name (<EventLog>), or the end
    pos = attrs(src, pos, null);
    if (pos < 0 || src.charCodeAt(pos) !== 62) return null;
  }
  pos++;
  if (!src.startsWith('<System>', pos)) return null;
  pos += 8;
  const sys: SystemInfo = { provider: undefined, eventId: undefined, version: undefined, recordId: undefined, channel: undefined, computer: undefined, systemTime: undefined };
  let seen = 0;
  let nodes = 3; // Event, System, EventData
  for (;;) {
    if (src.charCodeAt(pos) !== 60 /* < */) return null;
    if (src.charCodeAt(pos + 1) === 47 /* / */) break;
    const s = pos + 1;
    const e = nameEnd(src, s);
    if (e === s) return null;
    if (++nodes > 4096) return null;
    let which = -1;
    for (let k = 0; k < SYS_NAMES.length; k++) {
      if ((seen & (1 << k)) === 0 && isName(src, s, e, SYS_NAMES[k]!)) { which = k; seen |= 1 << k; break; }
    }
    pos = attrs(src, e, which >= 0 ? SYS_ATTR[which]! : null);
    if (pos < 0) return null;
    if (which === SYS_PROVIDER) sys.provider = attrValue;
    else if (which === SYS_TIME_CREATED) sys.systemTime = attrValue;
    let text = '';
    if (src.charCodeAt(pos) === 47 /* / */) {
      pos += 2;
    } else {
      pos++;
      const lt = src.indexOf('<', pos);
      if (lt < 0 || src.charCodeAt(lt + 1) !== 47) return null;
      // </name>, exactly.
      const len = e - s;
      if (lt + 2 + len >= n) return null;
      for (let k = 0; k < len; k++) if (src.charCodeAt(lt + 2 + k) !== src.charCodeAt(s + k)) return null;
      if (src.charCodeAt(lt + 2 + len) !== 62) return null;
      if (which > 0 && which < SYS_TIME_CREATED) text = cut(src, pos, lt);
      pos = lt + 3 + len;
    }
    switch (which) {
      case 1: sys.eventId = text; break;
      case 2: sys.version = text; break;
      case 3: sys.recordId = text; break;
      case 4: sys.channel = text; break;
      case 5: sys.computer = text; break;
      default: break;
    }
  }
  if (!src.startsWith('</System><EventData>', pos)) return null;
  pos += 20;
  while (src.startsWith('<Data Name="', pos)) {
    const q = src.indexOf('"', pos + 12);
    if (q < 0 || src.charCodeAt(q + 1) !== 62) return null;
    const lt = src.indexOf('<', q + 2);
    if (lt < 0 || !src.startsWith('</Data>', lt)) return null;
    if (++nodes > 4096) return null;
    const slot = slotAt(src, pos + 12, q);
    if (slot >= 0) {
      data.set(slot, cut(src, q + 2, lt));
    } else {
      const name = cut(src, pos + 12, q);
      if (name) data.addData(name, cut(src, q + 2, lt));
    }
    pos = lt + 7;
  }
  if (pos + 20 !== n || !src.startsWith('</EventData></Event>', pos)) return null;
  return sys;
}


/** The SystemInfo and Data values of a document readEventXml or parseXml read (null: no <System>). */
export function fromDoc(doc: EventDoc, data: EventValues): SystemInfo | null {
  const system = doc.system;
  if (doc.eventData) {
    for (const d of doc.eventData) {
      if (d.name !== 'Data') continue;
      const name = liteAttr(d, 'Name');
      if (name && isDataName(name)) data.add(name, d.text);
    }
  }
  if (!system) return null;
  return {
    provider: liteAttr(liteChild(system, 'Provider'), 'Name'),
    eventId: liteChild(system, 'EventID')?.text,
    version: liteChild(system, 'Version')?.text,
    recordId: liteChild(system, 'EventRecordID')?.text,
    channel: liteChild(system, 'Channel')?.text,
    computer: liteChild(system, 'Computer')?.text,
    systemTime: liteAttr(liteChild(system, 'TimeCreated'), 'SystemTime'),
  };
}

/**
 * Sets file.hash.<alg> or process.hash.<alg> (alg: an ecsHashName). Each store names its field
 * literally: a store under a computed name that adds a property makes V8 turn an object with
 * this many fields into a slow dictionary, and a name built per event (`${target}.${alg}`) is
 * looked up in V8's string table on every store.
 */
function setHash(o: DecodedFields, file: boolean, alg: string, hex: string): void {
  if (file) {
    switch (alg) {
      case 'md5': o['file.hash.md5'] = hex; return;
      case 'sha1': o['file.hash.sha1'] = hex; return;
      case 'sha256': o['file.hash.sha256'] = hex; return;
      case 'sha384': o['file.hash.sha384'] = hex; return;
      case 'sha512': o['file.hash.sha512'] = hex; return;
      case 'ssdeep': o['file.hash.ssdeep'] = hex; return;
      case 'tlsh': o['file.hash.tlsh'] = hex; return;
      default: o[`file.hash.${alg}`] = hex;
    }
  } else {
    switch (alg) {
      case 'md5': o['process.hash.md5'] = hex; return;
      case 'sha1': o['process.hash.sha1'] = hex; return;
      case 'sha256': o['process.hash.sha256'] = hex; return;
      case 'sha384': o['process.hash.sha384'] = hex; return;
      case 'sha512': o['process.hash.sha512'] = hex; return;
      case 'ssdeep': o['process.hash.ssdeep'] = hex; return;
      case 'tlsh': o['process.hash.tlsh'] = hex; return;
      default: o[`process.hash.${alg}`] = hex;
    }
  }
}

/** `sysmon.data.<name>` built once per name. */
const DATA_KEYS = new Map<string, string>();

/** `sysmon.data.<name>`, kept for the names seen (bounded: names come from the input). */
function dataKey(name: string): string {
  let key = DATA_KEYS.get(name);
  if (key === undefined) {
    key = `sysmon.data.${name}`;
    if (DATA_KEYS.size < 1024) DATA_KEYS.set(name, key);
  }
  return key;
}

/** A string value as Fields.set keeps it: undefined for none or '', cut to MAX_VALUE. */
const str = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v.length > MAX_VALUE ? v.slice(0, MAX_VALUE) : v);

/** A value related.* takes (as Fields.related): a non-empty string other than '-' and '?', at most 1024 long. */
const relatable = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== '-' && v !== '?' && v.length <= 1024;

/** Appends to a related.* list (as Fields.add): deduplicated, at most 64. */
function relate(list: unknown, v: string): string[] {
  if (Array.isArray(list)) {
    if (!list.includes(v) && list.length < 64) list.push(v);
    return list as string[];
  }
  return [v];
}

function decode(input: DecoderInput): DecodeResult | null {
  const start = input.message.indexOf('<Event');
  if (start < 0 || start > 256) return null;
  const text = input.message.slice(start);
  if (text.length > MAX_INPUT) return { ok: false, reason: `sysmon: event XML longer than ${MAX_INPUT} characters` };
  const src = text.trimEnd();
  // The Sysmon scanner takes the usual document; the one-pass reader and then the full parser (which
  // reports errors with their offset) read the rest: other roots, comments, CDATA, malformed input.
  let data = new EventValues();
  let system = scanEvent(src, data);
  if (system === null) {
    data = new EventValues();
    let doc: EventDoc | null = readEventXml(src);
    if (doc === null) {
      const xml = parseXml(src);
      if (!xml.ok) return { ok: false, reason: `sysmon: malformed event XML: ${xml.error}` };
      doc = eventDocOf(xml.root);
    }
    if (doc.root !== 'Event') return null;
    system = fromDoc(doc, data);
  }
  if (!system) return { ok: false, reason: 'sysmon: event without <System>' };
  // Other Windows-style event XML (not Sysmon's) is not this decoder's.
  const provider = system.provider;
  if (provider !== undefined && !/sysmon/i.test(provider)) return null;
  const eventId = toInt(system.eventId?.trim());
  if (eventId === null) return { ok: false, reason: 'sysmon: event without a numeric <EventID>' };

  // Fields are stored under literal names (each store its own inline cache; see compileApplier in
  // ../compile.ts), with Fields.set's rules: no undefined or '' values, strings cut to MAX_VALUE.
  // At most ~80 fixed names: the MAX_FIELDS cap only matters for the sysmon.data.* tail (Fields below).
  // Every read of an EventData value goes through d(), so the unmapped ones can be kept raw.
  const d = (name: string): string | undefined => data.read(name);
  const o: DecodedFields = {};
  let t: string | undefined;
  let i: number | null;
  const cat = EVENTS[eventId];
  o['event.kind'] = 'event';
  o['event.code'] = String(eventId);
  if ((t = str(provider)) !== undefined) o['event.provider'] = t;
  if (cat) {
    o['event.action'] = cat.action;
    o['event.category'] = cat.category;
    o['event.type'] = cat.type;
  }
  const computer = val(system.computer);
  if (computer) {
    o['host.name'] = str(computer);
    if (relatable(computer)) o['related.hosts'] = relate(o['related.hosts'], computer);
  }
  o['sysmon.event_id'] = eventId;
  if ((i = toInt(system.recordId?.trim())) !== null) o['sysmon.record_id'] = i;
  if ((t = str(val(system.channel))) !== undefined) o['sysmon.channel'] = t;
  if ((i = toInt(system.version?.trim())) !== null) o['sysmon.version'] = i;
  if ((t = str(system.systemTime)) !== undefined) o['sysmon.system_time'] = t;
  if ((t = str(val(d('RuleName')))) !== undefined) o['sysmon.rule_name'] = t;
  if ((t = str(val(d('UtcTime')))) !== undefined) o['sysmon.utc_time'] = t;
  if ((t = sysmonTime(d('UtcTime'))) !== undefined) o['sysmon.event_created'] = t;

  // Process (the acting process of every event but 4/16).
  const image = val(d('Image'));
  if (image) {
    o['process.executable'] = str(image);
    if ((t = str(basename(image))) !== undefined) o['process.name'] = t;
  }
  if ((i = toInt(d('ProcessId'))) !== null) o['process.pid'] = i;
  if ((t = str(val(d('ProcessGuid')))) !== undefined) o['process.entity_id'] = t;
  const cmd = val(d('CommandLine'));
  if (cmd) {
    o['process.command_line'] = str(cmd);
    const args = splitArgs(cmd);
    if (args.length > 0) {
      o['process.args'] = args;
      o['process.args_count'] = args.length;
    }
  }
  if ((t = str(val(d('CurrentDirectory')))) !== undefined) o['process.working_directory'] = t;
  const user = val(d('User'));
  if (user) {
    o['user.name'] = str(user);
    if (relatable(user)) o['related.user'] = relate(o['related.user'], user);
  }
  const parentImage = val(d('ParentImage'));
  if (parentImage) {
    o['process.parent.executable'] = str(parentImage);
    if ((t = str(basename(parentImage))) !== undefined) o['process.parent.name'] = t;
  }
  if ((i = toInt(d('ParentProcessId'))) !== null) o['process.parent.pid'] = i;
  if ((t = str(val(d('ParentProcessGuid')))) !== undefined) o['process.parent.entity_id'] = t;
  const parentCmd = val(d('ParentCommandLine'));
  if (parentCmd) {
    o['process.parent.command_line'] = str(parentCmd);
    const args = splitArgs(parentCmd);
    if (args.length > 0) o['process.parent.args'] = args;
  }
  const parentUser = val(d('ParentUser'));
  if (parentUser) {
    o['process.parent.user.name'] = str(parentUser);
    if (relatable(parentUser)) o['related.user'] = relate(o['related.user'], parentUser);
  }
  if ((t = str(val(d('LogonId')))) !== undefined) o['sysmon.logon_id'] = t;
  if ((t = str(val(d('LogonGuid')))) !== undefined) o['sysmon.logon_guid'] = t;
  if ((i = toInt(d('TerminalSessionId'))) !== null) o['sysmon.terminal_session_id'] = i;
  if ((t = str(val(d('IntegrityLevel')))) !== undefined) o['sysmon.integrity_level'] = t;

  const hashes = val(d('Hashes'));
  if (hashes) {
    o['sysmon.hashes'] = str(hashes);
    // Event 23's Hashes describe the deleted file; event 1's the process image.
    const file = eventId === 23;
    for (const [alg, hex] of parseHashes(hashes)) {
      setHash(o, file, alg, hex); // 16-128 hex digits: never empty, never cut
      o['related.hash'] = relate(o['related.hash'], hex);
    }
  }

  // Files (11, 23) and raw device reads (9).
  const target = val(d('TargetFilename'));
  if (target) {
    o['file.path'] = str(target);
    if ((t = str(basename(target))) !== undefined) o['file.name'] = t;
    if ((t = str(dirname(target))) !== undefined) o['file.directory'] = t;
  }
  if ((t = sysmonTime(d('CreationUtcTime'))) !== undefined) o['file.created'] = t;
  const device = val(d('Device'));
  if (device) {
    o['file.path'] = str(device);
    if ((t = str(basename(device))) !== undefined) o['file.name'] = t;
    o['sysmon.device'] = str(device);
  }
  if ((t = str(val(d('IsExecutable')))) !== undefined) o['sysmon.is_executable'] = t;
  if ((t = str(val(d('Archived')))) !== undefined) o['sysmon.archived'] = t;

  // Network (3).
  if (eventId === 3) {
    const proto = val(d('Protocol'));
    if (proto) o['network.transport'] = str(proto.toLowerCase());
    const initiated = val(d('Initiated'));
    if (initiated) {
      o['sysmon.initiated'] = str(initiated);
      if (initiated === 'true') o['network.direction'] = 'egress';
      else if (initiated === 'false') o['network.direction'] = 'ingress';
    }
    if ((t = str(val(d('SourceIsIpv6')))) !== undefined) o['sysmon.source_is_ipv6'] = t;
    if ((t = str(val(d('DestinationIsIpv6')))) !== undefined) o['sysmon.destination_is_ipv6'] = t;
    if ((t = str(val(d('SourcePortName')))) !== undefined) o['sysmon.source_port_name'] = t;
    if ((t = str(val(d('DestinationPortName')))) !== undefined) o['sysmon.destination_port_name'] = t;
    const sip = val(d('SourceIp'));
    const dip = val(d('DestinationIp'));
    // isIp: a non-empty string of at most 64 characters (never cut, always relatable).
    if (isIp(sip)) {
      o['source.ip'] = sip;
      o['related.ip'] = relate(o['related.ip'], sip);
    }
    if (isIp(dip)) {
      o['destination.ip'] = dip;
      o['related.ip'] = relate(o['related.ip'], dip);
    }
    if ((i = toPort(d('SourcePort'))) !== null) o['source.port'] = i;
    if ((i = toPort(d('DestinationPort'))) !== null) o['destination.port'] = i;
    const sh = val(d('SourceHostname'));
    const dh = val(d('DestinationHostname'));
    if (sh) { o['source.domain'] = str(sh); if (relatable(sh)) o['related.hosts'] = relate(o['related.hosts'], sh); }
    if (dh) { o['destination.domain'] = str(dh); if (relatable(dh)) o['related.hosts'] = relate(o['related.hosts'], dh); }
    const v6 = val(d('SourceIsIpv6')) === 'true' || val(d('DestinationIsIpv6')) === 'true';
    if (sip || dip) o['network.type'] = v6 ? 'ipv6' : 'ipv4';
  }

  // Process access (10): the source process acts on the target.
  if (eventId === 10) {
    const src = val(d('SourceImage'));
    if (src) {
      o['process.executable'] = str(src);
      if ((t = str(basename(src))) !== undefined) o['process.name'] = t;
    }
    if ((i = toInt(d('SourceProcessId'))) !== null) o['process.pid'] = i;
    if ((t = str(val(d('SourceProcessGUID')) ?? val(d('SourceProcessGuid')))) !== undefined) o['process.entity_id'] = t;
    const tgt = val(d('TargetImage'));
    if (tgt) {
      o['sysmon.target_process.executable'] = str(tgt);
      if ((t = str(basename(tgt))) !== undefined) o['sysmon.target_process.name'] = t;
    }
    if ((i = toInt(d('TargetProcessId'))) !== null) o['sysmon.target_process.pid'] = i;
    if ((t = str(val(d('TargetProcessGUID')) ?? val(d('TargetProcessGuid')))) !== undefined) o['sysmon.target_process.entity_id'] = t;
    if ((t = str(val(d('GrantedAccess')))) !== undefined) o['sysmon.granted_access'] = t;
    if ((t = str(val(d('CallTrace')))) !== undefined) o['sysmon.call_trace'] = t;
    const su = val(d('SourceUser'));
    const tu = val(d('TargetUser'));
    if (su) { o['user.name'] = str(su); if (relatable(su)) o['related.user'] = relate(o['related.user'], su); }
    if (tu) { o['sysmon.target_user'] = str(tu); if (relatable(tu)) o['related.user'] = relate(o['related.user'], tu); }
  }

  // Service state (4) and configuration change (16).
  if ((t = str(val(d('State')))) !== undefined) o['sysmon.state'] = t;
  if ((t = str(val(d('SchemaVersion')))) !== undefined) o['sysmon.schema_version'] = t;
  if (eventId === 4 && (t = str(val(d('Version')))) !== undefined) o['service.version'] = t;
  if ((t = str(val(d('Configuration')))) !== undefined) o['sysmon.configuration'] = t;
  const cfgHash = val(d('ConfigurationFileHash'));
  if (cfgHash) {
    o['sysmon.configuration_file_hash'] = str(cfgHash);
    for (const [alg, hex] of parseHashes(cfgHash)) setHash(o, true, alg, hex);
  }

  // EventData values no mapping above read, raw under sysmon.data.* ('-' left out). Their number
  // has no bound but MAX_FIELDS: a Fields on the same object counts them.
  let f: Fields | null = null;
  data.unread((k, v) => { if (val(v) !== undefined) (f ??= Fields.over(o)).set(dataKey(k), v); });

  return { ok: true, dataset: DATASET, fields: o };
}

export const sysmonLinux: BuiltinCode = { decode: guarded('sysmon', decode) };
