/**
 * base64 / base64offset. Spec: `base64` encodes the value; `base64offset` yields the three
 * variants of the value shifted by 0, 1 and 2 bytes inside a longer encoded string, cut to the
 * part that does not depend on the neighbouring bytes. Following pySigma: the value must be plain
 * (no wildcards — put contains/startswith/endswith after the encoding), text is encoded as UTF-8
 * unless an earlier utf16* made it bytes, and base64offset uses pySigma's start offsets (0, 2, 3)
 * and end offsets by (length + shift) mod 3 (none, -3, -2). chain.ts requires `contains` after
 * base64offset, since the variants only make sense as substrings.
 */
import { ModifierError, plainText, stringValue, type SigmaValue, type ValueModifier } from './types';

function bytesOf(v: SigmaValue & { kind: 'string' }, id: string): Buffer {
  const text = plainText(v);
  if (text === null) throw new ModifierError(`modifier '${id}' cannot encode wildcards or placeholders; put 'contains', 'startswith' or 'endswith' after it`);
  return Buffer.from(text, v.binary ? 'latin1' : 'utf8');
}

export const base64: ValueModifier = {
  id: 'base64',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue {
    if (v.kind !== 'string') return v;
    return stringValue(bytesOf(v, 'base64').toString('base64'));
  },
};

const START = [0, 2, 3] as const;
const END = [undefined, -3, -2] as const;

export const base64offset: ValueModifier = {
  id: 'base64offset',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue[] {
    if (v.kind !== 'string') return [v];
    const bytes = bytesOf(v, 'base64offset');
    return [0, 1, 2].map((shift) => {
      const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
      return stringValue(encoded.slice(START[shift]!, END[(bytes.length + shift) % 3]));
    });
  },
};
