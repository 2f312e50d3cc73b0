/**
 * ArcSight Common Event Format:
 *
 *   CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
 *
 * Header fields escape `\|` and `\\`; the extension is `key=value` pairs separated by spaces where
 * a value may itself contain spaces (it runs up to the next ` key=`), and escapes `\=`, `\\`,
 * `\n`, `\r`. Text before `CEF:` (a leftover syslog tag such as `ASM:` or `cef: `) is ignored.
 *
 * Output: header under `cef.*` (version, device.vendor/product/version, device.event_class_id,
 * name, severity), every extension key under `cef.extensions.<key>`, custom fields also by their
 * label under `cef.labels.<label>` (cs1..cs6, cn1..cn3, cfp1..cfp4, c6a1..c6a4, flexString1..2,
 * flexNumber1..2, deviceCustomDate1..2), and the common keys in ECS (as Filebeat's decode_cef):
 * observer.*, source.*, destination.*, network.*, url.*, http.*, file.*, event.*, user.*, related.*.
 * Dataset: `cef.log`.
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { Fields, MAX_INPUT, ecsMac, guarded, isIp, toInt, transportName } from './common';

export const DATASET = 'cef.log';

/** Splits the 7 header fields (escapes `\|`, `\\`) and returns them with the extension text. */
function splitHeader(s: string): { fields: string[]; ext: string } | null {
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < s.length && fields.length < 7; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '|' || s[i + 1] === '\\')) {
      cur += s[i + 1];
      i++;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (fields.length < 7) return null;
  return { fields, ext: s.slice(i) };
}

const unescapeExt = (v: string): string =>
  v.replace(/\\([\\=nr|])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));

/** Extension `k=v k2=v with spaces` → pairs; keys are `[A-Za-z0-9_.\[\]-]+` preceded by start or whitespace. */
export function parseExtension(ext: string): Array<[string, string]> {
  const keys: Array<{ key: string; start: number; valueStart: number }> = [];
  const re = /(?:^|\s)([A-Za-z0-9_.[\]-]{1,64})=/g;
  for (let m = re.exec(ext); m && keys.length < 512; m = re.exec(ext)) {
    // A `=` escaped as `\=` is not a separator (the regex cannot match `\=` as key end, since `\` is not a key char).
    keys.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  const out: Array<[string, string]> = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const end = i + 1 < keys.length ? keys[i + 1]!.start : ext.length;
    out.push([k.key, unescapeExt(ext.slice(k.valueStart, end).trim())]);
  }
  return out;
}

const SEVERITY_WORDS: Record<string, number> = { unknown: 0, low: 3, medium: 6, high: 8, 'very-high': 10, veryhigh: 10 };

/** Custom fields with a `<key>Label` partner. */
const LABELED = /^(?:cs[1-6]|cn[1-3]|cfp[1-4]|c6a[1-4]|flexString[12]|flexNumber[12]|flexDate1|deviceCustomDate[12]|deviceCustomNumber[1-3]|deviceCustomString[1-6])$/;

const label = (s: string): string => s.trim().replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);

const OUTCOMES: Record<string, string> = { success: 'success', succeeded: 'success', successful: 'success', failure: 'failure', failed: 'failure', fail: 'failure', unknown: 'unknown' };

function decode(input: DecoderInput): DecodeResult | null {
  const raw = input.message;
  const at = raw.indexOf('CEF:');
  if (at < 0 || at > 1024) return null;
  const s = raw.slice(at + 4, at + 4 + MAX_INPUT);
  if (!/^\d{1,3}\|/.test(s)) return null;
  const head = splitHeader(s);
  if (!head) return { ok: false, reason: 'cef: fewer than 7 header fields' };
  const [version, vendor, product, devVersion, sigId, name, severity] = head.fields as [string, string, string, string, string, string, string];

  const f = new Fields();
  f.setInt('cef.version', version);
  f.set('cef.device.vendor', vendor);
  f.set('cef.device.product', product);
  f.set('cef.device.version', devVersion);
  f.set('cef.device.event_class_id', sigId);
  f.set('cef.name', name);
  f.set('cef.severity', severity);
  f.set('observer.vendor', vendor);
  f.set('observer.product', product);
  f.set('observer.version', devVersion);
  f.set('event.code', sigId);
  f.set('event.kind', 'event');
  const sev = toInt(severity.trim()) ?? SEVERITY_WORDS[severity.trim().toLowerCase()];
  if (sev !== undefined && sev !== null) f.set('event.severity', sev);

  const ext: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of parseExtension(head.ext)) {
    if (!(k in ext)) ext[k] = v;
    f.set(`cef.extensions.${k}`, v);
  }
  for (const [k, v] of Object.entries(ext)) {
    if (LABELED.test(k)) {
      const l = ext[`${k}Label`];
      if (l && label(l)) f.set(`cef.labels.${label(l)}`, v);
    }
  }

  const str = (k: string): string | undefined => {
    const v = ext[k];
    return v === undefined || v === '' ? undefined : v;
  };
  // Endpoints.
  f.setIp('source.ip', str('src') ?? str('sourceAddress'));
  f.setIp('destination.ip', str('dst') ?? str('destinationAddress'));
  f.setPort('source.port', str('spt') ?? str('sourcePort'));
  f.setPort('destination.port', str('dpt') ?? str('destinationPort'));
  f.set('source.mac', ecsMac(str('smac')));
  f.set('destination.mac', ecsMac(str('dmac')));
  f.setIp('source.nat.ip', str('sourceTranslatedAddress'));
  f.setPort('source.nat.port', str('sourceTranslatedPort'));
  f.setIp('destination.nat.ip', str('destinationTranslatedAddress'));
  f.setPort('destination.nat.port', str('destinationTranslatedPort'));
  const shost = str('shost');
  const dhost = str('dhost');
  if (shost) { f.set('source.domain', shost); f.related('hosts', shost); }
  if (dhost) { f.set('destination.domain', dhost); f.related('hosts', dhost); }
  const suser = str('suser');
  const duser = str('duser');
  if (suser) { f.set('source.user.name', suser); f.related('user', suser); }
  if (duser) { f.set('destination.user.name', duser); f.related('user', duser); }
  f.set('source.user.id', str('suid'));
  f.set('destination.user.id', str('duid'));
  f.set('source.user.domain', str('sntdom'));
  f.set('destination.user.domain', str('dntdom'));
  f.setInt('source.bytes', str('in'));
  f.setInt('destination.bytes', str('out'));
  // Observer (the reporting device).
  const dvc = str('dvc') ?? str('deviceAddress');
  if (isIp(dvc)) {
    f.set('observer.ip', [dvc]); // an array in ECS and in the event contract
    f.related('ip', dvc);
  }
  const dvchost = str('dvchost') ?? str('deviceHostName');
  if (dvchost) { f.set('observer.hostname', dvchost); f.related('hosts', dvchost); }
  f.set('observer.mac', ecsMac(str('dvcmac')));
  f.set('observer.ingress.interface.name', str('deviceInboundInterface'));
  f.set('observer.egress.interface.name', str('deviceOutboundInterface'));
  f.set('observer.serial_number', str('deviceExternalId'));
  // Network.
  const proto = str('proto');
  if (proto) f.set('network.transport', transportName(proto));
  const app = str('app');
  if (app) f.set('network.protocol', app.toLowerCase());
  const dir = str('deviceDirection');
  if (dir === '0') f.set('network.direction', 'inbound');
  else if (dir === '1') f.set('network.direction', 'outbound');
  // Web.
  f.set('url.original', str('request'));
  f.set('http.request.method', str('requestMethod'));
  f.set('user_agent.original', str('requestClientApplication'));
  f.set('http.request.referrer', str('requestContext'));
  // Files.
  f.set('file.name', str('fname'));
  f.set('file.path', str('filePath'));
  f.setInt('file.size', str('fsize'));
  f.set('file.hash.md5', str('fileHash') && /^[0-9a-fA-F]{32}$/.test(str('fileHash')!) ? str('fileHash')!.toLowerCase() : undefined);
  // Process.
  f.setInt('process.pid', str('spid') ?? str('dpid'));
  f.set('process.name', str('sproc') ?? str('dproc'));
  // Event.
  f.set('event.action', str('act'));
  f.set('event.reason', str('msg') ?? (name || undefined));
  f.set('event.id', str('externalId'));
  const outcome = str('outcome');
  if (outcome) {
    const o = OUTCOMES[outcome.toLowerCase().replace(/^\//, '')];
    if (o) f.set('event.outcome', o);
  }

  return { ok: true, dataset: DATASET, fields: f.out };
}

export const cef: BuiltinCode = { decode: guarded('cef', decode) };
