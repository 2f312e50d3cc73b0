/**
 * utf16le / utf16be / utf16 / wide. Spec: encode the value as UTF-16 little- or big-endian bytes
 * (`cmd` → 63 00 6d 00 64 00 / 00 63 00 6d 00 64); `utf16` prepends the byte order mark FF FE and
 * encodes little-endian; `wide` is an alias of utf16le. The result is a byte string (one
 * character per byte) meant to be followed by base64/base64offset. Like pySigma, wildcards are
 * kept and only literal runs are encoded; the BOM is written once, at the start of the value.
 */
import { mapLiterals, type SigmaValue, type ValueModifier } from './types';

function encode(s: string, littleEndian: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i); // JS strings are UTF-16 code units already, surrogates included
    const lo = String.fromCharCode(unit & 0xff);
    const hi = String.fromCharCode(unit >> 8);
    out += littleEndian ? lo + hi : hi + lo;
  }
  return out;
}

function utf16Modifier(id: string, littleEndian: boolean, bom: boolean): ValueModifier {
  return {
    id,
    type: 'value',
    accepts: ['string'],
    apply(v: SigmaValue): SigmaValue {
      if (v.kind !== 'string') return v;
      const encoded = mapLiterals(v, (s) => encode(s, littleEndian));
      const parts = bom ? [{ t: 'lit' as const, s: '\xff\xfe' }, ...encoded.parts] : encoded.parts;
      return { kind: 'string', parts, binary: true };
    },
  };
}

export const utf16le = utf16Modifier('utf16le', true, false);
export const utf16be = utf16Modifier('utf16be', false, false);
export const utf16 = utf16Modifier('utf16', true, true);
export const wide = utf16Modifier('wide', true, false);
