import type { RawEnvelope } from '../../../schemas/generated/types';

/** One syslog message cut out of a byte stream or datagram (or one event of an HTTP request), before any parsing. */
export interface Frame {
  /** The message bytes exactly as sent, without the octet count or the trailing LF. */
  bytes: Buffer;
  framing: 'octet-counting' | 'lf' | 'datagram' | 'json';
  /** True when the message was longer than the size limit: `bytes` holds the first `maxFrameBytes`. */
  truncated: boolean;
  /** The full length the sender declared or sent, when truncated. */
  originalLength?: number;
  /** What the bytes are (envelope kind); default syslog. The HTTP input sets hec or json. */
  kind?: 'syslog' | 'hec' | 'json';
  /** HTTP input: the request the event came in (envelope `http`). */
  http?: RawEnvelope['http'];
}
