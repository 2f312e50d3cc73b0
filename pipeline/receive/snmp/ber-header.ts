/**
 * Just enough BER to read an SNMP message's version and, for SNMPv3, the header fields net-snmp's
 * receiver callback does not hand over (msgFlags, msgAuthoritativeEngineID/Boots/Time, user).
 * Only called on packets net-snmp has already decoded and authenticated, but it still checks every
 * length against the buffer and returns null rather than throw on anything odd.
 */
export interface SnmpHeader {
  /** 0 = SNMPv1, 1 = SNMPv2c, 3 = SNMPv3 (the wire values). */
  version: number;
  v3?: {
    msgId: number;
    flags: number;
    engineId: Buffer;
    engineBoots: number;
    engineTime: number;
    user: string;
  };
}

interface Tlv { tag: number; start: number; end: number }

/** The TLV at `at` (definite lengths only, as BER for SNMP requires), or null. */
function tlv(buf: Buffer, at: number, limit: number): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? null : { tag, start, end };
}

function int(buf: Buffer, t: Tlv | null): number | null {
  if (!t || t.tag !== 0x02 || t.end - t.start < 1 || t.end - t.start > 5) return null;
  let v = buf[t.start]! & 0x80 ? -1 : 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + buf[i]!;
  return v;
}

export function readHeader(buf: Buffer): SnmpHeader | null {
  const msg = tlv(buf, 0, buf.length);
  if (!msg || msg.tag !== 0x30) return null;
  const vt = tlv(buf, msg.start, msg.end);
  const version = int(buf, vt);
  if (version === null || !vt) return null;
  if (version !== 3) return { version };
  const global = tlv(buf, vt.end, msg.end);
  if (!global || global.tag !== 0x30) return null;
  const idT = tlv(buf, global.start, global.end);
  const sizeT = idT && tlv(buf, idT.end, global.end);
  const flagsT = sizeT && tlv(buf, sizeT.end, global.end);
  const msgId = int(buf, idT);
  if (!flagsT || flagsT.tag !== 0x04 || flagsT.end - flagsT.start !== 1 || msgId === null) return null;
  const flags = buf[flagsT.start]!;
  const secT = tlv(buf, global.end, msg.end);
  if (!secT || secT.tag !== 0x04) return null;
  const usm = tlv(buf, secT.start, secT.end);
  if (!usm || usm.tag !== 0x30) return null;
  const engineT = tlv(buf, usm.start, usm.end);
  const bootsT = engineT && tlv(buf, engineT.end, usm.end);
  const timeT = bootsT && tlv(buf, bootsT.end, usm.end);
  const userT = timeT && tlv(buf, timeT.end, usm.end);
  const engineBoots = int(buf, bootsT);
  const engineTime = int(buf, timeT);
  if (!engineT || engineT.tag !== 0x04 || !userT || userT.tag !== 0x04 || engineBoots === null || engineTime === null) return null;
  return {
    version,
    v3: {
      msgId,
      flags,
      engineId: Buffer.from(buf.subarray(engineT.start, engineT.end)),
      engineBoots,
      engineTime,
      user: buf.toString('utf8', userT.start, userT.end),
    },
  };
}
