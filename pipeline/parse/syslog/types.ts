import type { TimeZone } from '../../time/zone';

/**
 * What the syslog parsers return. Parsers are pure functions over the exact received bytes: they
 * never throw, never mutate their input, and always say what they could not understand.
 */

/** RFC 5424 structured data: SD-ID → param name → value(s). A repeated param name keeps every value. */
export type StructuredData = Record<string, Record<string, string | string[]>>;

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  /** PRI value 0..191. */
  priority: number;
  /** priority >> 3 (0..23). */
  facility: number;
  /** priority & 7 (0..7). */
  severity: number;
  /** RFC 5424 VERSION (1); absent for RFC 3164. */
  version?: number;
  /** The message's own timestamp, when it had one that could be read (RFC 5424 NILVALUE → absent). */
  timestamp?: Date;
  /** The timestamp exactly as written in the message. */
  timestampText?: string;
  /** The configured zone a timestamp without one was read in, when that zone is not UTC. */
  timeZone?: string;
  hostname?: string;
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG without its [pid]. */
  appName?: string;
  /** RFC 5424 PROCID, or the pid in an RFC 3164 TAG[pid]. */
  procId?: string;
  msgId?: string;
  structuredData?: StructuredData;
  /** Cisco IOS sequence number ("<189>123: …", `service sequence-numbers`), when the header had one. */
  sequenceNumber?: number;
  /**
   * A Cisco clock marker before the timestamp: '*' unsynchronized (the clock was never set or has
   * no NTP source), '.' sync_lost (it was synchronized and lost it). The timestamp is still read,
   * as rsyslog and syslog-ng do; this says how far to trust it.
   */
  clock?: 'unsynchronized' | 'sync_lost';
  /**
   * How many times the sender says the previous message repeated: "last message repeated N times"
   * (BSD syslogd, sysklogd, busybox), "message repeated N times: [ … ]" (rsyslog's
   * RepeatedMsgReduction), "Last message '…' repeated N times, suppressed by syslog-ng on …".
   * The message itself is kept as written.
   */
  repeatCount?: number;
  /** The MSG part, decoded as UTF-8 (a leading BOM removed). */
  message: string;
  /** Non-fatal oddities, as stable codes (e.g. 'invalid_utf8', 'bad_timestamp', 'no_hostname'). */
  warnings: string[];
}

/** A parser's verdict: a message, or a stable error code with a human reason. */
export type ParseOutcome =
  | { ok: true; value: SyslogMessage }
  | { ok: false; code: SyslogParseErrorCode; reason: string };

export type SyslogParseErrorCode =
  | 'empty'
  | 'no_pri'
  | 'bad_pri'
  | 'bad_header'
  | 'bad_structured_data';

export interface ParseOptions {
  /** When the message was received; RFC 3164 timestamps have no year, so the year comes from here. */
  receivedAt: Date;
  /** The sender's zone, for timestamps that name none (RFC 3164); UTC when absent. */
  timeZone?: TimeZone | undefined;
  /** The sender puts no HOSTNAME in its RFC 3164 messages (worker.syslog.withoutHostname): never read one. */
  withoutHostname?: boolean | undefined;
}
