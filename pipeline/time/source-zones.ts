/**
 * Which time zone a sender's zoneless timestamps are in: `worker.time.zones` lists rules of
 * source networks and/or listener ports with a zone each; the first rule that matches wins, and
 * `worker.time.defaultZone` (UTC unless configured) covers everyone else.
 */
import { SenderMatch, type SenderSelector } from '../envelope/sender-match';
import { timeZone, UTC, type TimeZone } from './zone';

export interface ZoneRuleConfig extends SenderSelector {
  zone: string;
}

export class SourceZones {
  private readonly match: SenderMatch<TimeZone>;

  /** Throws a RangeError naming the rule (`worker.time.zones[i]`) when a zone or network is invalid. */
  constructor(rules: readonly ZoneRuleConfig[] = [], readonly defaultZone: TimeZone = UTC) {
    const entries = rules.map((r, i) => {
      try {
        return { ...r, value: timeZone(r.zone) };
      } catch (err) {
        throw new RangeError(`worker.time.zones[${i}].zone: ${(err as Error).message}`);
      }
    });
    this.match = new SenderMatch(entries, defaultZone, 'worker.time.zones');
  }

  get isEmpty(): boolean {
    return this.match.isEmpty;
  }

  /** The zone of a message from `sourceIp` that arrived on `listenerPort`. */
  zoneFor(sourceIp: string, listenerPort: number): TimeZone {
    return this.match.for(sourceIp, listenerPort);
  }
}
