import fs from 'node:fs';

/**
 * Datagrams the kernel threw away for one UDP socket because its receive buffer was full: the
 * `drops` column of /proc/net/udp and /proc/net/udp6 for the socket bound to `port`. This is the
 * loss haetae cannot see itself (the datagrams never reach the process), so it is reported as a
 * metric. Returns null where /proc is not available (not Linux).
 */
export function udpKernelDrops(port: number): number | null {
  let total = 0;
  let found = false;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] is local_address as HEXIP:HEXPORT; drops is the last column.
      if (cols.length < 13 || !cols[1]!.endsWith(`:${hexPort}`)) continue;
      found = true;
      total += Number(cols[cols.length - 1]);
    }
  }
  return found ? total : null;
}
