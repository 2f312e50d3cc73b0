/**
 * Address parsing for enrichment lookups. IPv4 becomes an unsigned 32-bit number (a Map key and
 * a binary-search key without allocation: every event carries several addresses), IPv6 a BigInt
 * (rarer; correctness over speed). IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is read as IPv4, and an
 * IPv6 zone (`%eth0`) is ignored, as the rule engine's cidr modifier does.
 */

export type Ip = { v: 4; n: number } | { v: 6; n: bigint };

/** Dotted-quad IPv4 → uint32, or -1. Walked by char code: no split, no regex, no allocation. */
export function parseIPv4(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let n = 0;
  let part = 0;
  let digits = 0;
  let acc = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || acc > 3) return -1;
      n = n * 256 + part;
      acc++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  return acc === 4 ? n : -1;
}

/** Any address text → {v: 4, n} or {v: 6, n}; null when it is not an address. */
export function parseAddress(text: string): Ip | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { v: 4, n: v4 };
  if (!parse6(text)) return null;
  const w = WORDS;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return { v: 4, n: w[6]! * 65536 + w[7]! };
  }
  // One BigInt from 32 hex digits: building it word by word allocates sixteen.
  let hex = '0x';
  for (let i = 0; i < 8; i++) hex += HEX2[w[i]! >> 8]! + HEX2[w[i]! & 255]!;
  return { v: 6, n: BigInt(hex) };
}

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The eight 16-bit words of the last IPv6 address parse6 read. */
const WORDS = new Uint16Array(8);
const TAIL = new Uint16Array(8);

/**
 * IPv6 text (RFC 4291 forms: full, `::`-compressed, a trailing dotted IPv4, a `%zone` ignored)
 * into WORDS, by char code: the regex-and-split parser the rule engine uses costs microseconds
 * per address, and an event carries several.
 */
function parse6(text: string): boolean {
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  if (end < 2 || end > 45) return false;
  let head = 0; // words before '::'
  let tail = 0; // words after '::'
  let gap = false;
  let i = 0;
  if (text.charCodeAt(0) === 58) { // leading '::'
    if (text.charCodeAt(1) !== 58) return false;
    gap = true;
    i = 2;
    if (i === end) { WORDS.fill(0); return true; }
  }
  for (;;) {
    // One group: 1-4 hex digits, or a dotted IPv4 as the last two words.
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
      i++;
    }
    if (i < end && text.charCodeAt(i) === 46) { // dotted IPv4 tail
      const v4 = parseIPv4(text.slice(start, end));
      if (v4 < 0) return false;
      if (!push(Math.floor(v4 / 65536)) || !push(v4 % 65536)) return false;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    if (!push(value)) return false;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) { // '::'
      if (gap) return false;
      gap = true;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // a trailing single ':'
    }
  }
  if (gap) {
    if (head + tail > 7) return false;
    WORDS.fill(0, head);
    for (let k = 0; k < tail; k++) WORDS[8 - tail + k] = TAIL[k]!;
    return true;
  }
  return head === 8;

  function push(word: number): boolean {
    if (head + tail >= 8) return false;
    if (gap) TAIL[tail++] = word; else WORDS[head++] = word;
    return true;
  }
}

/**
 * An address as the per-event path holds it: IPv4 as a uint32 in `n`, IPv6 as four uint32 words
 * in `w` (most significant first). No BigInt: building one costs a string and a parse per address,
 * and a Map keyed by BigInt hashes only its low 64 bits.
 */
export interface Addr { v: 4 | 6; n: number; readonly w: Uint32Array }

const SHARED: Addr = { v: 4, n: 0, w: new Uint32Array(4) };
/** The text whose words SHARED.w holds. */
let last6 = '';

/**
 * parseAddress for the per-event path: the result is one shared object, overwritten by the next
 * call, so nothing is allocated. Use the result before parsing another address.
 */
export function parseAddressShared(text: string): Addr | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) { SHARED.v = 4; SHARED.n = v4; return SHARED; }
  // An IPv6 address is read twice per event (destination.ip for assets and zones, then for
  // threat intel): SHARED.w still holds the last one parsed, as IPv4 parses do not touch it.
  if (text === last6) { SHARED.v = 6; SHARED.n = 0; return SHARED; }
  if (!parse6(text)) return null;
  const w = WORDS;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    SHARED.v = 4;
    SHARED.n = w[6]! * 65536 + w[7]!;
    return SHARED;
  }
  SHARED.v = 6;
  SHARED.n = 0;
  last6 = text;
  const out = SHARED.w;
  out[0] = w[0]! * 65536 + w[1]!;
  out[1] = w[2]! * 65536 + w[3]!;
  out[2] = w[4]! * 65536 + w[5]!;
  out[3] = w[6]! * 65536 + w[7]!;
  return SHARED;
}

/** An Ip as an Addr of its own (build time and tests; allocates). */
export function toAddr(ip: Ip): Addr {
  const w = new Uint32Array(4);
  if (ip.v === 4) return { v: 4, n: ip.n, w };
  words6(ip.n, w, 0);
  return { v: 6, n: 0, w };
}

/** The four 32-bit words of a 128-bit value, most significant first, into out[off…off+3]. */
export function words6(n: bigint, out: Uint32Array, off: number): void {
  out[off] = Number((n >> 96n) & 0xffffffffn);
  out[off + 1] = Number((n >> 64n) & 0xffffffffn);
  out[off + 2] = Number((n >> 32n) & 0xffffffffn);
  out[off + 3] = Number(n & 0xffffffffn);
}

/** w[0…3] compared with arr[off…off+3] as 128-bit numbers: negative, 0 or positive. */
export function cmp6(w: Uint32Array, arr: Uint32Array, off: number): number {
  return w[0]! - arr[off]! || w[1]! - arr[off + 1]! || w[2]! - arr[off + 2]! || w[3]! - arr[off + 3]!;
}

export interface Network { v: 4 | 6; start: number | bigint; end: number | bigint; prefix: number }

/** `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128). Host bits are cleared. */
export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  const ip = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const max = ip.v === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    prefix = Number(p);
    // An IPv4-mapped network keeps its IPv4 meaning: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
    if (ip.v === 4 && text.slice(0, slash).includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > max) return null;
  }
  if (ip.v === 4) {
    const size = 2 ** (32 - prefix);
    const start = Math.floor(ip.n / size) * size;
    return { v: 4, start, end: start + size - 1, prefix };
  }
  const hostBits = BigInt(128 - prefix);
  const start = (ip.n >> hostBits) << hostBits;
  return { v: 6, start, end: start + (1n << hostBits) - 1n, prefix };
}

const V4_PRIVATE: ReadonlyArray<Network> = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // RFC 1918
  '100.64.0.0/10', // RFC 6598 shared address space (CGNAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved and broadcast
].map((t) => parseNetwork(t)!);

const V6_PRIVATE: ReadonlyArray<Network> = [
  '::/128', '::1/128', 'fe80::/10', 'fc00::/7', 'ff00::/8',
].map((t) => parseNetwork(t)!);

/**
 * Addresses no public database knows: private (RFC 1918, unique-local), CGNAT, loopback,
 * link-local, multicast, unspecified/reserved. Documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are deliberately *not* here: a real database
 * has nothing for them anyway, and examples and tests use them as stand-ins for public addresses.
 */
export function isNonPublic(ip: Ip): boolean {
  const list = ip.v === 4 ? V4_PRIVATE : V6_PRIVATE;
  for (const net of list) if (ip.n >= net.start && ip.n <= net.end) return true;
  return false;
}

/** V6_PRIVATE as [start words, end words] octets. */
const V6_PRIVATE_WORDS = new Uint32Array(V6_PRIVATE.length * 8);
V6_PRIVATE.forEach((net, i) => { words6(net.start as bigint, V6_PRIVATE_WORDS, i * 8); words6(net.end as bigint, V6_PRIVATE_WORDS, i * 8 + 4); });

/** isNonPublic for the per-event Addr. */
export function isNonPublicAddr(a: Addr): boolean {
  if (a.v === 4) {
    const n = a.n;
    for (const net of V4_PRIVATE) if (n >= (net.start as number) && n <= (net.end as number)) return true;
    return false;
  }
  const w = a.w;
  for (let o = 0; o < V6_PRIVATE_WORDS.length; o += 8) if (cmp6(w, V6_PRIVATE_WORDS, o) >= 0 && cmp6(w, V6_PRIVATE_WORDS, o + 4) <= 0) return true;
  return false;
}
