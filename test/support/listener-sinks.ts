import type { Frame } from '../../pipeline/receive/syslog/frame';
import type { FrameSink, PeerInfo } from '../../pipeline/receive/syslog/listeners';

/** Shared by the listener tests (real sockets on loopback, a sink in memory instead of Kafka). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 10 ms; past `ms` it throws naming `what`. */
export async function until(check: () => boolean, what: string, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A sink that keeps every frame with its peer and arrival time; never saturated. */
export function collectingSink(): FrameSink & { frames: Array<{ frame: Frame; peer: PeerInfo; at: number }> } {
  const frames: Array<{ frame: Frame; peer: PeerInfo; at: number }> = [];
  return { frames, accept(frame, peer) { frames.push({ frame, peer, at: Date.now() }); return true; }, saturated: false, onDrain() { /* never saturated */ } };
}
