import type { MibNode, NodeSyntax } from './types';

/** A decoded varbind as the receiver hands it over: octet strings as base64 of the exact bytes. */
export interface VarbindValue {
  type: string; // 'Integer' | 'OctetString' | 'Null' | 'ObjectIdentifier' | 'IpAddress' | 'Counter32' | 'Gauge32' | 'TimeTicks' | 'Opaque' | 'Counter64' | 'Unsigned32' | 'NoSuchObject' | …
  value: string | number | null;
}

export interface Rendered {
  /** Human-readable text (what goes into `message`). */
  text: string;
  /** The machine value: the number for integers and enums, the numeric OID, the decoded text, or hex for binary. */
  value: string | number | null;
  /** Enum label (INTEGER enums), or set BITS labels joined with ','. */
  label?: string;
  /** Hex of the octets for octet strings that were rendered as something else than hex. */
  hex?: string;
}

/** Optional OID translator (the store's `translate`), for OBJECT IDENTIFIER values. */
export type OidTranslator = (oid: string) => string;

const TEXT_TCS = new Set(['DisplayString', 'SnmpAdminString', 'Utf8String', 'SnmpTagValue', 'SnmpTagList', 'LongUtf8String']);
const MAC_TCS = new Set(['PhysAddress', 'MacAddress']);

/**
 * Renders a varbind value for people and for fields, using what the MIB says about the object
 * (enums, textual convention, DISPLAY-HINT). Never throws: a value that does not fit its MIB
 * description falls back to the plain rendering of its wire type.
 */
export function renderValue(node: MibNode | null, vb: VarbindValue, translate?: OidTranslator): Rendered {
  const syntax = node?.syntax;
  switch (vb.type) {
    case 'Integer': case 'Integer32': case 'Unsigned32': case 'Counter32': case 'Gauge32': case 'Counter': case 'Gauge': {
      const n = toNumber(vb.value);
      if (!Number.isFinite(n)) return { text: String(vb.value), value: vb.value };
      const label = syntax?.enums?.[n];
      if (label !== undefined) return { text: label, value: n, label };
      const hint = syntax?.displayHint;
      if (hint) return { text: integerHint(n, hint), value: n };
      return { text: node?.units ? `${n} ${node.units}` : String(n), value: n };
    }
    case 'Counter64': {
      const v = vb.value === null ? '' : String(vb.value);
      return { text: v, value: /^\d{1,15}$/.test(v) ? Number(v) : v };
    }
    case 'TimeTicks': {
      const n = toNumber(vb.value);
      if (!Number.isFinite(n)) return { text: String(vb.value), value: vb.value };
      return { text: `${formatTicks(n)} (${n})`, value: n };
    }
    case 'IpAddress': {
      const v = vb.value === null ? '' : String(vb.value);
      return { text: v, value: v };
    }
    case 'ObjectIdentifier': {
      const v = vb.value === null ? '' : String(vb.value);
      return { text: translate ? translate(v) : v, value: v };
    }
    case 'OctetString': case 'Opaque': case 'BitString':
      return renderOctets(syntax, typeof vb.value === 'string' ? Buffer.from(vb.value, 'base64') : Buffer.alloc(0));
    case 'Null':
      return { text: '', value: null };
    default:
      return { text: vb.value === null ? vb.type : String(vb.value), value: vb.value };
  }
}

function toNumber(v: string | number | null): number {
  if (typeof v === 'number') return v;
  return v === null || v.trim() === '' ? Number.NaN : Number(v);
}

function renderOctets(syntax: NodeSyntax | undefined, bytes: Buffer): Rendered {
  const hex = bytes.toString('hex');
  const tc = syntax?.tc;
  const hint = syntax?.displayHint;
  if (syntax?.base === 'BITS' && syntax.enums) {
    const set: string[] = [];
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) set.push(syntax.enums[bit] ?? String(bit));
    }
    const label = set.join(',');
    return { text: label, value: hex, label, hex };
  }
  if (tc === 'DateAndTime' || (hint !== undefined && hint.startsWith('2d-1d-1d,'))) {
    const iso = dateAndTime(bytes);
    if (iso !== null) return { text: iso, value: iso, hex };
  }
  if ((tc !== undefined && MAC_TCS.has(tc)) || hint === '1x:') {
    const mac = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
    return { text: mac, value: mac, hex };
  }
  if ((tc !== undefined && TEXT_TCS.has(tc)) || (hint !== undefined && /^\d+[at]$/.test(hint))) {
    const text = bytes.toString('utf8');
    return { text, value: text, hex };
  }
  if (hint !== undefined) {
    const text = octetHint(bytes, hint);
    if (text !== null) return { text, value: text, hex };
  }
  if (isPrintableUtf8(bytes)) {
    const text = bytes.toString('utf8');
    return { text, value: text, hex };
  }
  const spaced = hex.replace(/(..)(?!$)/g, '$1 ');
  return { text: spaced, value: hex, hex };
}

function isPrintableUtf8(bytes: Buffer): boolean {
  if (bytes.length === 0) return true;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  // Printable: no control characters except tab, CR, LF; a trailing NUL (C strings) is tolerated.
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text.replace(/\u0000$/, ''));
}

/** RFC 2579 DateAndTime: 8 or 11 octets → ISO 8601 (with the UTC offset when present). */
export function dateAndTime(b: Buffer): string | null {
  if (b.length !== 8 && b.length !== 11) return null;
  const year = b.readUInt16BE(0);
  const [mo, d, h, mi, s, ds] = [b[2] ?? 0, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0, b[6] ?? 0, b[7] ?? 0];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || ds > 9) return null;
  const p = (n: number): string => String(n).padStart(2, '0');
  let out = `${String(year).padStart(4, '0')}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}.${ds}`;
  if (b.length === 11) {
    const dir = String.fromCharCode(b[8] ?? 43);
    if (dir !== '+' && dir !== '-') return null;
    const oh = b[9] ?? 0;
    const om = b[10] ?? 0;
    out += oh === 0 && om === 0 ? 'Z' : `${dir}${p(oh)}:${p(om)}`;
  }
  return out;
}

/** TimeTicks (hundredths of a second) → "3d 04:05:06.07". */
export function formatTicks(ticks: number): string {
  const cs = ticks % 100;
  let s = Math.floor(ticks / 100);
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days > 0 ? `${days}d ` : ''}${p(h)}:${p(m)}:${p(sec)}.${p(cs)}`;
}

/** RFC 2579 integer DISPLAY-HINT: d, d-N (implied decimal point), x, o, b. */
function integerHint(n: number, hint: string): string {
  const m = /^([dxob])(?:-(\d+))?$/.exec(hint);
  if (!m) return String(n);
  switch (m[1]) {
    case 'x': return n.toString(16);
    case 'o': return n.toString(8);
    case 'b': return n.toString(2);
    default: {
      const places = Number(m[2] ?? 0);
      if (places === 0) return String(n);
      const neg = n < 0;
      const digits = String(Math.abs(n)).padStart(places + 1, '0');
      return `${neg ? '-' : ''}${digits.slice(0, -places)}.${digits.slice(-places)}`;
    }
  }
}

/**
 * RFC 2579 octet-string DISPLAY-HINT: a list of `[*]<length><format>[separator][terminator]`,
 * the last one repeating. Returns null when the hint is not understood.
 */
export function octetHint(bytes: Buffer, hint: string): string | null {
  const specs: Array<{ star: boolean; len: number; fmt: string; sep: string; term: string }> = [];
  const re = /(\*?)(\d+)([xdoat])([^\d*]?)([^\d*]?)/y;
  let pos = 0;
  while (pos < hint.length) {
    re.lastIndex = pos;
    const m = re.exec(hint);
    if (!m) return null;
    specs.push({ star: m[1] === '*', len: Number(m[2]), fmt: m[3] ?? 'x', sep: m[4] ?? '', term: m[5] ?? '' });
    pos = re.lastIndex;
  }
  if (specs.length === 0) return null;
  let out = '';
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const spec = specs[Math.min(k, specs.length - 1)];
    if (!spec) return null;
    k++;
    let repeat = 1;
    if (spec.star) { repeat = bytes[i] ?? 0; i++; }
    for (let r = 0; r < repeat && i < bytes.length; r++) {
      const chunk = bytes.subarray(i, Math.min(bytes.length, i + spec.len));
      i += chunk.length;
      if (spec.fmt === 'a' || spec.fmt === 't') out += chunk.toString(spec.fmt === 't' ? 'utf8' : 'latin1');
      else {
        let v = 0n;
        for (const b of chunk) v = (v << 8n) | BigInt(b);
        out += spec.fmt === 'x' ? v.toString(16).padStart(chunk.length * 2, '0') : spec.fmt === 'o' ? v.toString(8) : v.toString(10);
      }
      if (i < bytes.length) {
        if (spec.term && r === repeat - 1 && spec.star) out += spec.term;
        else if (spec.sep) out += spec.sep;
      }
    }
  }
  return out;
}
