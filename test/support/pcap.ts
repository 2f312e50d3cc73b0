/**
 * A small capture reader for replay tests: classic pcap (24-byte global header, 16-byte record
 * headers, either byte order, micro- or nanosecond timestamps) and pcapng (section header,
 * interface description blocks carrying each interface's link type, enhanced and simple packet
 * blocks; other blocks skipped), the format Wireshark's mergecap writes — nDPI's test captures
 * are often pcapng under a .pcap name. Link types: Ethernet (with 802.1Q/802.1ad VLAN tags),
 * Linux cooked v1 and v2, raw IP, BSD null/loopback. Network: IPv4 (unfragmented datagrams and
 * first fragments only) and IPv6 (hop-by-hop, routing and destination options headers skipped).
 * Transport: UDP only. Anything else is counted by what it was, never thrown on.
 */
export interface UdpDatagram {
  /** Index of the record in the capture (0-based, all records counted). */
  record: number;
  /** Capture time in microseconds since the epoch. */
  timeUs: number;
  family: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  vlan?: number;
  /** Length of the link-layer frame as captured (what per-flow byte counts such as nDPI's add up). */
  frameLength: number;
  payload: Buffer;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  /** The link types the capture declares (classic pcap: one; pcapng: one per interface). */
  linkTypes: number[];
  records: number;
  datagrams: UdpDatagram[];
  /** Records that were not UDP over IP (or could not be read), by reason. */
  skipped: Record<string, number>;
}

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;
const SUPPORTED_LINKS = new Set<number>(Object.values(LINKTYPE));

export function readCapture(bytes: Buffer): Capture {
  if (bytes.length < 4) throw new Error('not a capture: shorter than any header');
  const magic = bytes.readUInt32BE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(bytes);
  return readPcap(bytes);
}

function readPcap(bytes: Buffer): Capture {
  if (bytes.length < 24) throw new Error('pcap: truncated global header');
  const m = bytes.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) { le = true; nanos = m === 0xa1b23c4d; }
  else if (bytes.readUInt32BE(0) === 0xa1b2c3d4 || bytes.readUInt32BE(0) === 0xa1b23c4d) { le = false; nanos = bytes.readUInt32BE(0) === 0xa1b23c4d; }
  else throw new Error(`pcap: unknown magic 0x${bytes.readUInt32BE(0).toString(16)}`);
  const u32 = (o: number): number => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const major = le ? bytes.readUInt16LE(4) : bytes.readUInt16BE(4);
  if (major !== 2) throw new Error(`pcap: version ${major}, expected 2`);
  // The link type is the low 16 bits of the last header word (the high bits carry FCS info).
  const linkType = u32(20) & 0xffff;
  const capture: Capture = { format: 'pcap', linkTypes: [linkType], records: 0, datagrams: [], skipped: {} };
  if (!SUPPORTED_LINKS.has(linkType)) throw new Error(`pcap: link type ${linkType} is not supported`);
  let off = 24;
  while (off + 16 <= bytes.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const inclLen = u32(off + 8);
    off += 16;
    if (off + inclLen > bytes.length) { count(capture, 'truncated_record'); break; }
    const frame = bytes.subarray(off, off + inclLen);
    off += inclLen;
    const timeUs = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    link(capture, capture.records++, timeUs, linkType, frame);
  }
  return capture;
}

function readPcapng(bytes: Buffer): Capture {
  const capture: Capture = { format: 'pcapng', linkTypes: [], records: 0, datagrams: [], skipped: {} };
  let le = true;
  // Per section: the interfaces' link types and timestamp resolutions (units per second).
  let interfaces: Array<{ linkType: number; unitsPerSecond: number }> = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const typeBE = bytes.readUInt32BE(off);
    if (typeBE === 0x0a0d0d0a) {
      const bom = bytes.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new Error(`pcapng: bad byte-order magic at ${off}`);
      interfaces = [];
    }
    const u32 = (o: number): number => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
    const u16 = (o: number): number => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
    const type = u32(off);
    const total = u32(off + 4);
    if (total < 12 || total % 4 !== 0 || off + total > bytes.length) throw new Error(`pcapng: bad block length ${total} at ${off}`);
    const body = off + 8;
    const end = off + total - 4;
    if (type === 0x00000001) {
      // Interface Description Block: link type, reserved, snaplen, options (if_tsresol = 9).
      const linkType = u16(body);
      let unitsPerSecond = 1e6;
      let o = body + 8;
      while (o + 4 <= end) {
        const code = u16(o);
        const len = u16(o + 2);
        if (code === 0) break;
        if (code === 9 && len >= 1) {
          const r = bytes[o + 4]!;
          unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        o += 4 + Math.ceil(len / 4) * 4;
      }
      interfaces.push({ linkType, unitsPerSecond });
      capture.linkTypes.push(linkType);
    } else if (type === 0x00000006) {
      // Enhanced Packet Block: interface id, timestamp (high, low), captured length, original length, data.
      const iface = interfaces[u32(body)];
      const capLen = u32(body + 12);
      const data = body + 20;
      const record = capture.records++;
      if (!iface) { count(capture, 'unknown_interface'); off += total; continue; }
      if (data + capLen > end) { count(capture, 'truncated_record'); off += total; continue; }
      const ticks = u32(body + 4) * 2 ** 32 + u32(body + 8);
      const timeUs = Math.floor((ticks / iface.unitsPerSecond) * 1e6);
      if (!SUPPORTED_LINKS.has(iface.linkType)) count(capture, `link_type_${iface.linkType}`);
      else link(capture, record, timeUs, iface.linkType, bytes.subarray(data, data + capLen));
    } else if (type === 0x00000003) {
      // Simple Packet Block: original length, data (interface 0, no timestamp).
      const iface = interfaces[0];
      const record = capture.records++;
      const len = Math.min(u32(body), end - (body + 4));
      if (!iface || !SUPPORTED_LINKS.has(iface.linkType)) count(capture, 'unknown_interface');
      else link(capture, record, 0, iface.linkType, bytes.subarray(body + 4, body + 4 + len));
    }
    off += total;
  }
  return capture;
}

function count(c: Capture, reason: string): void {
  c.skipped[reason] = (c.skipped[reason] ?? 0) + 1;
}

function link(c: Capture, record: number, timeUs: number, linkType: number, frame: Buffer): void {
  const frameLength = frame.length;
  let etherType: number;
  let off: number;
  let vlan: number | undefined;
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (frame.length < 14) return count(c, 'short_frame');
      etherType = frame.readUInt16BE(12);
      off = 14;
      // 802.1Q and 802.1ad (QinQ) tags: TCI then the next EtherType.
      while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && off + 4 <= frame.length) {
        vlan ??= frame.readUInt16BE(off) & 0x0fff;
        etherType = frame.readUInt16BE(off + 2);
        off += 4;
      }
      break;
    case LINKTYPE.LINUX_SLL:
      if (frame.length < 16) return count(c, 'short_frame');
      etherType = frame.readUInt16BE(14);
      off = 16;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (frame.length < 20) return count(c, 'short_frame');
      etherType = frame.readUInt16BE(0);
      off = 20;
      break;
    case LINKTYPE.NULL: {
      if (frame.length < 4) return count(c, 'short_frame');
      // The address family in the capturing host's byte order: 2 is IPv4; 24, 28 and 30 are IPv6.
      const af = frame.readUInt32LE(0) > 0xffff ? frame.readUInt32BE(0) : frame.readUInt32LE(0);
      etherType = af === 2 ? 0x0800 : [24, 28, 30].includes(af) ? 0x86dd : -1;
      off = 4;
      break;
    }
    default: // RAW, IPV4, IPV6: the version nibble says which.
      if (frame.length < 1) return count(c, 'short_frame');
      etherType = frame[0]! >> 4 === 4 ? 0x0800 : frame[0]! >> 4 === 6 ? 0x86dd : -1;
      off = 0;
  }
  if (etherType === 0x0800) return ipv4(c, { record, timeUs, frameLength, vlan }, frame.subarray(off));
  if (etherType === 0x86dd) return ipv6(c, { record, timeUs, frameLength, vlan }, frame.subarray(off));
  count(c, `ethertype_0x${etherType.toString(16)}`);
}

interface At { record: number; timeUs: number; frameLength: number; vlan: number | undefined }

function ipv4(c: Capture, at: At, p: Buffer): void {
  if (p.length < 20 || p[0]! >> 4 !== 4) return count(c, 'bad_ipv4');
  const ihl = (p[0]! & 0x0f) * 4;
  const total = Math.min(p.readUInt16BE(2), p.length);
  const fragment = p.readUInt16BE(6);
  if (fragment & 0x1fff) return count(c, 'ipv4_fragment');
  if (fragment & 0x2000) return count(c, 'ipv4_fragmented_datagram');
  const proto = p[9]!;
  const src = [...p.subarray(12, 16)].join('.');
  const dst = [...p.subarray(16, 20)].join('.');
  if (proto !== 17) return count(c, `ip_proto_${proto}`);
  udp(c, at, 4, src, dst, p.subarray(ihl, total));
}

function ipv6(c: Capture, at: At, p: Buffer): void {
  if (p.length < 40 || p[0]! >> 4 !== 6) return count(c, 'bad_ipv6');
  const payloadLength = p.readUInt16BE(4);
  let next = p[6]!;
  const src = ipv6Text(p.subarray(8, 24));
  const dst = ipv6Text(p.subarray(24, 40));
  let off = 40;
  const end = Math.min(p.length, 40 + payloadLength);
  // Hop-by-hop (0), routing (43), destination options (60): length in 8-octet units after the first 8.
  while ((next === 0 || next === 43 || next === 60) && off + 2 <= end) {
    const len = (p[off + 1]! + 1) * 8;
    next = p[off]!;
    off += len;
  }
  if (next === 44) return count(c, 'ipv6_fragment');
  if (next !== 17) return count(c, `ip_proto_${next}`);
  udp(c, at, 6, src, dst, p.subarray(off, end));
}

function udp(c: Capture, at: At, family: 4 | 6, src: string, dst: string, u: Buffer): void {
  if (u.length < 8) return count(c, 'short_udp');
  const length = u.readUInt16BE(4);
  if (length < 8 || length > u.length) return count(c, 'truncated_udp');
  const { record, timeUs, frameLength, vlan } = at;
  c.datagrams.push({ record, timeUs, family, src, dst, srcPort: u.readUInt16BE(0), dstPort: u.readUInt16BE(2), ...(vlan !== undefined ? { vlan } : {}), frameLength, payload: Buffer.from(u.subarray(8, length)) });
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
