/**
 * The PRI part shared by RFC 5424 and RFC 3164: `<` 1–3 digits `>`, value 0..191, no leading
 * zeros except `<0>` (RFC 5424 §6.2.1; RFC 3164 §4.1.1 says the same in prose).
 */
import { byteAt, describeByte, GT, isDigit, LT } from './bytes';
import { fail, type ParseFailure } from './failure';

export interface Pri {
  ok: true;
  priority: number;
  /** Index of the first byte after the closing '>'. */
  end: number;
}

const MAX_PRIORITY = 191;

export function readPri(bytes: Buffer): Pri | ParseFailure {
  if (byteAt(bytes, 0) !== LT) return fail('no_pri', "missing PRI: message does not start with '<'");
  const first = byteAt(bytes, 1);
  if (first === GT) return fail('bad_pri', "PRI: empty value '<>' at byte 1");
  if (!isDigit(first)) return fail('bad_pri', `PRI: expected a digit at byte 1, found ${describeByte(first)}`);
  if (first === 0x30 && isDigit(byteAt(bytes, 2))) {
    return fail('bad_pri', "PRI: leading zero at byte 1; only '<0>' may start with 0");
  }
  let value = 0;
  let i = 1;
  while (isDigit(byteAt(bytes, i))) {
    if (i === 4) return fail('bad_pri', 'PRI: more than 3 digits starting at byte 1');
    value = value * 10 + (byteAt(bytes, i) - 0x30);
    i++;
  }
  if (byteAt(bytes, i) !== GT) {
    return fail('bad_pri', `PRI: expected '>' at byte ${i}, found ${describeByte(byteAt(bytes, i))}`);
  }
  if (value > MAX_PRIORITY) return fail('bad_pri', `PRI: value ${value} at byte 1 is out of range 0..191`);
  return { ok: true, priority: value, end: i + 1 };
}

/** The facility/severity split every SyslogMessage carries. */
export function priorityFields(priority: number): { priority: number; facility: number; severity: number } {
  return { priority, facility: priority >> 3, severity: priority & 7 };
}
