/** One syslog message cut out of a byte stream or datagram, before any parsing. */
export interface Frame {
  /** The message bytes exactly as sent, without the octet count or the trailing LF. */
  bytes: Buffer;
  framing: 'octet-counting' | 'lf' | 'datagram';
  /** True when the message was longer than the size limit: `bytes` holds the first `maxFrameBytes`. */
  truncated: boolean;
  /** The full length the sender declared or sent, when truncated. */
  originalLength?: number;
}
