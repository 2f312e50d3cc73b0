/**
 * Says in the log which senders have clocks haetae does not believe — at most once a minute per
 * sender, and for a bounded number of senders — so an operator can fix the clock or configure the
 * sender's zone. Every correction is counted in haetae_time_corrected_total regardless.
 */
import type { Logger } from '../telemetry/logger';
import type { TimeCorrection } from './policy';

const REPEAT_AFTER_MS = 60_000;
const MAX_SENDERS = 1000;

export class TimeCorrectionLog {
  private readonly lastWarned = new Map<string, number>();

  constructor(private readonly logger: Logger, private readonly clock: () => number = Date.now) {}

  note(source: string, correction: TimeCorrection, skewMs: number): void {
    const now = this.clock();
    const last = this.lastWarned.get(source);
    if (last !== undefined && now - last < REPEAT_AFTER_MS) return;
    if (last === undefined && this.lastWarned.size >= MAX_SENDERS) this.lastWarned.clear();
    this.lastWarned.set(source, now);
    const how = correction === 'future' ? `${describe(skewMs)} ahead of` : `${describe(-skewMs)} behind`;
    const hint = correction === 'future' && Math.abs(skewMs) < 15 * 3_600_000
      ? ' If this sender writes local time (RFC 3164 has no zone), set its zone in worker.time.zones.'
      : ' Check the sender\'s clock (NTP).';
    this.logger.warn({ source, correction, skewMs }, `A message from ${source} was stamped ${how} the time it was received; it is dated at its receive time, with its own timestamp kept in haetae.time.original.${hint}`);
  }
}

function describe(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
