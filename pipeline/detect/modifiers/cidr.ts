/**
 * cidr. Spec: the value is a network range in IPv4 or IPv6 CIDR notation (`10.0.0.0/8`,
 * `fe80::/10`). Parsed once at load (a bad range rejects the rule); like pySigma, a range with
 * host bits set is accepted as its network and a bare address is a /32 or /128. At match time
 * the field must be an address of the same family (an IPv6 zone `%eth0` is ignored; IPv4 in an
 * IPv4-mapped IPv6 address `::ffff:1.2.3.4` matches IPv4 ranges).
 */
import { ModifierError, plainText, type IpNet, type SigmaValue, type ValueModifier } from './types';

export const cidr: ValueModifier = {
  id: 'cidr',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue {
    const text = v.kind === 'string' ? plainText(v) : null;
    const net = text === null ? null : parseCidr(text.trim());
    if (net === null) throw new ModifierError(`modifier 'cidr' needs an IPv4 or IPv6 network such as 10.0.0.0/8 or fe80::/10, got ${JSON.stringify(text)}`);
    return { kind: 'cidr', net, text: text! };
  },
};

// Module-level so the per-event address parser never allocates a RegExp.
const DEC3 = /^[0-9]{1,3}$/;
const HEX4 = /^[0-9a-fA-F]{1,4}$/;

export function parseCidr(text: string): IpNet | null {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  const max = addr.version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!DEC3.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return { version: addr.version, words: addr.words, prefix };
}

/** IPv4 → two 16-bit words; IPv6 → eight. Null when not an address. */
export function parseIp(text: string): { version: 4 | 6; words: number[] } | null {
  if (text.includes(':')) {
    const words = parseIp6(text);
    return words && { version: 6, words };
  }
  const v4 = parseIp4(text);
  return v4 && { version: 4, words: v4 };
}

/**
 * Four dot-separated decimal parts of 1–3 ASCII digits, each ≤ 255. Walked by char code: the
 * rule index parses every event's address field, and split + a regex per part cost more than the
 * rest of that lookup.
 */
function parseIp4(text: string): number[] | null {
  let hi = 0; // the address's first 16 bits, built as parts complete
  let lo = 0;
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // the end closes the last part like a '.'
    if (c === 46) {
      if (digits === 0 || n > 255 || part > 3) return null;
      if (part < 2) hi = (hi << 8) | n; else lo = (lo << 8) | n;
      part++;
      digits = 0;
      n = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      n = n * 10 + (c - 48);
      digits++;
    } else {
      return null;
    }
  }
  return part === 4 ? [hi, lo] : null;
}

function parseIp6(input: string): number[] | null {
  const zone = input.indexOf('%');
  const text = zone < 0 ? input : input.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIp4(g);
        if (!v4) return null;
        out.push(...v4);
      } else {
        if (!HEX4.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** Per event: parses the field's address (small, bounded work) and compares prefix bits. */
export function cidrMatcher(net: IpNet): (x: unknown) => boolean {
  return (x) => {
    if (typeof x !== 'string') return false;
    let ip = parseIp(x.trim());
    if (ip && ip.version === 6 && net.version === 4 && ip.words.slice(0, 6).every((w, i) => w === (i === 5 ? 0xffff : 0))) {
      ip = { version: 4, words: ip.words.slice(6) };
    }
    if (!ip || ip.version !== net.version) return false;
    let bits = net.prefix;
    for (let i = 0; bits > 0; i++, bits -= 16) {
      const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
      if ((ip.words[i]! & mask) !== (net.words[i]! & mask)) return false;
    }
    return true;
  };
}
