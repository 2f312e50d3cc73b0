/**
 * IBM QRadar Log Event Extended Format:
 *
 *   LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…
 *   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<DELIM>key=value…
 *
 * LEEF 2.0's delimiter field is one character or its hex code (`x09`, `0x09`, `\x09`, `^`); when
 * it is absent or empty the delimiter is a tab, as in 1.0. Producers that write spaces instead of
 * tabs are read the CEF way (a value runs to the next ` key=`). Text before `LEEF:` is ignored.
 *
 * Output: header under `leef.*` (version, vendor, product, product_version, event_id, delimiter),
 * every attribute under `leef.attributes.<key>`, and LEEF's predefined attributes in ECS
 * (src/dst/srcPort/dstPort/…PostNAT, srcMAC/dstMAC, usrName, proto, sev, srcBytes/dstBytes/
 * totalBytes, srcPackets/dstPackets/totalPackets, url, policy, domain, isLoginEvent/isLogoutEvent)
 * plus observer.vendor/product/version. Dataset: `leef.log`.
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { parseExtension } from './cef';
import { Fields, MAX_INPUT, ecsMac, guarded, isIp, toInt, transportName } from './common';

export const DATASET = 'leef.log';

/** Splits `count` pipe-separated header fields (`\|` escapes a pipe); the rest is returned as is. */
function splitHeader(s: string, count: number): { fields: string[]; rest: string } | null {
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < s.length && fields.length < count; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '|') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (fields.length < count) return null;
  return { fields, rest: s.slice(i) };
}

/** A LEEF 2.0 delimiter field → the character, or null when the text is not a delimiter spec. */
export function delimiterOf(spec: string): string | null {
  if (spec.length === 1) return spec;
  const m = /^(?:0x|\\x|x|X|0X)([0-9A-Fa-f]{1,4})$/.exec(spec);
  if (!m) return null;
  const code = parseInt(m[1]!, 16);
  return code > 0 && code < 0xd800 ? String.fromCharCode(code) : null;
}

function attributes(text: string, delim: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const parts = text.split(delim);
  if (delim === '\t' && parts.length === 1 && /\s[A-Za-z0-9_]+=/.test(text)) return parseExtension(text);
  for (const part of parts.slice(0, 512)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!/^[A-Za-z0-9_.[\]-]{1,64}$/.test(key)) continue;
    out.push([key, part.slice(eq + 1)]);
  }
  return out;
}

function decode(input: DecoderInput): DecodeResult | null {
  const raw = input.message;
  const at = raw.indexOf('LEEF:');
  if (at < 0 || at > 1024) return null;
  const s = raw.slice(at + 5, at + 5 + MAX_INPUT);
  const vm = /^(\d{1,2}(?:\.\d{1,2})?)\|/.exec(s);
  if (!vm) return null;
  const version = vm[1]!;
  const head = splitHeader(s, 5);
  if (!head) return { ok: false, reason: 'leef: fewer than 5 header fields' };
  const [, vendor, product, productVersion, eventId] = head.fields as [string, string, string, string, string];
  let rest = head.rest;
  let delim = '\t';
  if (version.startsWith('2')) {
    const bar = rest.indexOf('|');
    const spec = bar >= 0 ? rest.slice(0, bar) : null;
    if (spec !== null && !spec.includes('=')) {
      if (spec !== '') {
        const d = delimiterOf(spec);
        if (d === null) return { ok: false, reason: `leef: bad LEEF 2.0 delimiter '${spec.slice(0, 16)}'` };
        delim = d;
      }
      rest = rest.slice(bar + 1);
    }
  }

  const f = new Fields();
  f.set('leef.version', version);
  f.set('leef.vendor', vendor);
  f.set('leef.product', product);
  f.set('leef.product_version', productVersion);
  f.set('leef.event_id', eventId);
  f.set('leef.delimiter', delim);
  f.set('observer.vendor', vendor);
  f.set('observer.product', product);
  f.set('observer.version', productVersion);
  f.set('event.code', eventId);
  f.set('event.kind', 'event');

  const a: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of attributes(rest, delim)) {
    if (!(k in a)) a[k] = v;
    f.set(`leef.attributes.${k}`, v);
  }
  const str = (k: string): string | undefined => {
    const v = a[k]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  f.setIp('source.ip', str('src') ?? str('srcPreNAT'));
  f.setIp('destination.ip', str('dst') ?? str('dstPreNAT'));
  f.setPort('source.port', str('srcPort') ?? str('srcPreNATPort'));
  f.setPort('destination.port', str('dstPort') ?? str('dstPreNATPort'));
  f.setIp('source.nat.ip', str('srcPostNAT'));
  f.setIp('destination.nat.ip', str('dstPostNAT'));
  f.setPort('source.nat.port', str('srcPostNATPort'));
  f.setPort('destination.nat.port', str('dstPostNATPort'));
  f.set('source.mac', ecsMac(str('srcMAC')));
  f.set('destination.mac', ecsMac(str('dstMAC')));
  const user = str('usrName') ?? str('accountName') ?? str('identUserName');
  if (user) { f.set('user.name', user); f.related('user', user); }
  f.set('user.domain', str('domain'));
  f.set('group.name', str('identGrpName'));
  const identSrc = str('identSrc');
  if (isIp(identSrc)) f.related('ip', identSrc);
  const identHost = str('identHostName');
  if (identHost) f.related('hosts', identHost);
  const proto = str('proto');
  if (proto) f.set('network.transport', transportName(proto));
  const sev = toInt(str('sev'));
  if (sev !== null) f.set('event.severity', sev);
  f.setInt('source.bytes', str('srcBytes'));
  f.setInt('destination.bytes', str('dstBytes'));
  f.setInt('network.bytes', str('totalBytes'));
  f.setInt('source.packets', str('srcPackets'));
  f.setInt('destination.packets', str('dstPackets'));
  f.setInt('network.packets', str('totalPackets'));
  f.set('url.original', str('url'));
  f.set('rule.name', str('policy'));
  f.set('event.action', str('action') ?? str('act'));
  if (str('isLoginEvent') === 'true') { f.set('event.category', ['authentication']); f.set('event.type', ['start']); }
  else if (str('isLogoutEvent') === 'true') { f.set('event.category', ['authentication']); f.set('event.type', ['end']); }

  return { ok: true, dataset: DATASET, fields: f.out };
}

export const leef: BuiltinCode = { decode: guarded('leef', decode) };
