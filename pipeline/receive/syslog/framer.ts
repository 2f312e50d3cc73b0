/**
 * RFC 6587 framing for syslog over TCP and TLS, plus the trivial datagram case for UDP.
 *
 * Each frame picks its own framing, as rsyslog does: a frame that starts with a digit 1-9 is
 * octet-counted (`MSG-LEN SP SYSLOG-MSG`, RFC 6587 §3.4.1), anything else is non-transparent
 * framing ended by LF (§3.4.2). A would-be MSG-LEN that meets a non-digit before its SP, or grows
 * past 10 digits, was not a length after all: those bytes start an LF frame instead.
 *
 * LF frames keep their bytes exactly, minus the LF itself. A CR before the LF is left in place:
 * the parser trims trailing CR/LF/NUL, and the framer never guesses at message content. Empty LF
 * lines are skipped; a line holding only "\r" is a (one-byte) frame.
 */
import type { Frame } from './frame';

export interface SyslogStreamFramerOptions {
  /** Longest frame kept, in bytes; longer ones are cut to this and marked truncated. */
  maxFrameBytes: number;
  /**
   * Largest MSG-LEN believed (rsyslog's imtcp maxFrameSize, 200000 there). A larger one is taken
   * for a framing error, as rsyslog does: its digits and SP start an LF frame instead, so one
   * garbage prefix like "9999999999 " cannot swallow the next 10 GB of the connection. Counted in
   * `framingErrors`. Default: any MSG-LEN of up to 10 digits is believed (and truncated to
   * maxFrameBytes), which keeps a sender of over-long messages in sync.
   */
  maxDeclaredLength?: number | undefined;
}

type Mode =
  /** Between frames: the next byte decides the framing. */
  | 'start'
  /** Reading the digits of a MSG-LEN. */
  | 'length'
  /** Inside an octet-counted frame. */
  | 'octets'
  /** Inside an LF-terminated frame. */
  | 'line';

const LF = 0x0a;
const SP = 0x20;
const MAX_LENGTH_DIGITS = 10;
/** First accumulator size: most syslog messages fit, so a split frame usually needs no regrowth. */
const MIN_CAPACITY = 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Cuts a TCP/TLS byte stream into frames. One instance per connection: `push` every chunk in
 * order, `end` when the connection closes.
 *
 * Buffering: a frame that lies inside one chunk is copied straight out of it (the common case, and
 * the only copy). A frame split across chunks is copied into one accumulator that doubles up to
 * maxFrameBytes and is handed out as the frame. We chose that over a list of chunk views because
 * each view costs an object (~100 bytes) per chunk: a sender dribbling 1-byte segments would make
 * a list take ~100× maxFrameBytes, while the accumulator never exceeds maxFrameBytes, holds no
 * reference to socket chunks, and copies each byte an amortized constant number of times (no
 * quadratic Buffer.concat). Bytes past the limit are counted and dropped, never stored.
 */
export class SyslogStreamFramer {
  readonly #maxFrameBytes: number;
  #mode: Mode = 'start';
  /** Holds the first `#kept` bytes of a frame that spans chunks. */
  #acc: Buffer = EMPTY;
  #kept = 0;
  /** Bytes of the current frame received so far, kept or dropped. */
  #seen = 0;
  /** MSG-LEN read so far (its digits, in 'length' mode) or declared (in 'octets' mode). */
  #length = 0;
  #lengthDigits = 0;
  readonly #maxDeclaredLength: number;
  #framingErrors = 0;

  constructor(opts: SyslogStreamFramerOptions) {
    if (!Number.isSafeInteger(opts.maxFrameBytes) || opts.maxFrameBytes < 1) {
      throw new RangeError(`maxFrameBytes must be a positive integer, got ${opts.maxFrameBytes}`);
    }
    const maxDeclared = opts.maxDeclaredLength ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(maxDeclared) || maxDeclared < 1) {
      throw new RangeError(`maxDeclaredLength must be a positive integer, got ${opts.maxDeclaredLength}`);
    }
    this.#maxFrameBytes = opts.maxFrameBytes;
    this.#maxDeclaredLength = maxDeclared;
  }

  /** Bytes of memory held for the frame in progress: never more than maxFrameBytes. */
  get bufferedBytes(): number {
    return this.#acc.length;
  }

  /** MSG-LENs over maxDeclaredLength seen so far on this connection (each read as an LF frame instead). */
  get framingErrors(): number {
    return this.#framingErrors;
  }

  /** Frames completed by this chunk, in stream order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#mode === 'start') i = this.#startFrame(chunk, i);
      else if (this.#mode === 'length') i = this.#readLength(chunk, i);
      else if (this.#mode === 'octets') i = this.#readOctets(chunk, i, frames);
      else i = this.#readLine(chunk, i, frames);
    }
    return frames;
  }

  /**
   * The connection closed: flush what is pending. An unterminated LF frame is a normal frame (many
   * senders omit the last LF). An octet-counted frame cut short comes back truncated, with the
   * declared length as originalLength, even when it is shorter than maxFrameBytes.
   */
  end(): Frame[] {
    const mode = this.#mode;
    if (mode === 'length') this.#lengthToLine();
    let frames: Frame[] = [];
    if (mode === 'octets') frames = [this.#finish(EMPTY, 0, 0, 'octet-counting', this.#length, true)];
    else if (this.#seen > 0) frames = [this.#finish(EMPTY, 0, 0, 'lf', this.#seen, this.#seen > this.#maxFrameBytes)];
    this.#mode = 'start';
    return frames;
  }

  #startFrame(chunk: Buffer, i: number): number {
    const b = chunk[i];
    if (b === LF) return i + 1; // an empty line is not a frame
    if (b !== undefined && b >= 0x31 && b <= 0x39) {
      this.#mode = 'length';
      this.#length = 0;
      this.#lengthDigits = 0;
    } else {
      this.#mode = 'line';
    }
    return i;
  }

  #readLength(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const b = chunk[i] ?? -1;
      if (b >= 0x30 && b <= 0x39 && this.#lengthDigits < MAX_LENGTH_DIGITS) {
        this.#length = this.#length * 10 + (b - 0x30);
        this.#lengthDigits++;
      } else if (b === SP && this.#length <= this.#maxDeclaredLength) {
        this.#mode = 'octets';
        return i + 1;
      } else {
        if (b === SP) this.#framingErrors++;
        // Not a MSG-LEN: the digits read so far are the start of an LF frame, and this byte (maybe
        // the LF itself) is handled in that mode.
        this.#lengthToLine();
        return i;
      }
    }
    return chunk.length;
  }

  /** Turns the digits of a would-be MSG-LEN back into bytes of an LF frame. */
  #lengthToLine(): void {
    // The first digit was 1-9, so the number prints back to exactly the digits that were sent.
    const digits = Buffer.from(String(this.#length), 'latin1');
    this.#append(digits, 0, digits.length);
    this.#seen = digits.length;
    this.#mode = 'line';
  }

  #readOctets(chunk: Buffer, start: number, frames: Frame[]): number {
    const take = Math.min(this.#length - this.#seen, chunk.length - start);
    const end = start + take;
    this.#seen += take;
    if (this.#seen < this.#length) {
      this.#append(chunk, start, end);
      return end;
    }
    frames.push(this.#finish(chunk, start, end, 'octet-counting', this.#length, this.#length > this.#maxFrameBytes));
    return end;
  }

  #readLine(chunk: Buffer, start: number, frames: Frame[]): number {
    // indexOf runs natively; only the new bytes are searched, never the ones already kept.
    const lf = chunk.indexOf(LF, start);
    const end = lf < 0 ? chunk.length : lf;
    this.#seen += end - start;
    if (lf < 0) {
      this.#append(chunk, start, end);
      return end;
    }
    if (this.#seen > 0) frames.push(this.#finish(chunk, start, end, 'lf', this.#seen, this.#seen > this.#maxFrameBytes));
    else this.#mode = 'start';
    return lf + 1;
  }

  /** Keeps `chunk[start, end)` up to the limit; bytes past maxFrameBytes are dropped here. */
  #append(chunk: Buffer, start: number, end: number): void {
    const n = Math.min(end - start, this.#maxFrameBytes - this.#kept);
    if (n <= 0) return;
    this.#reserve(this.#kept + n);
    chunk.copy(this.#acc, this.#kept, start, start + n);
    this.#kept += n;
  }

  #reserve(size: number): void {
    if (this.#acc.length >= size) return;
    const capacity = Math.min(this.#maxFrameBytes, Math.max(size, this.#acc.length * 2, MIN_CAPACITY));
    const grown = Buffer.allocUnsafe(capacity);
    this.#acc.copy(grown, 0, 0, this.#kept);
    this.#acc = grown;
  }

  /** Completes the current frame with its last bytes `chunk[start, end)` and resets for the next. */
  #finish(chunk: Buffer, start: number, end: number, framing: Frame['framing'], length: number, truncated: boolean): Frame {
    let bytes: Buffer;
    if (this.#kept === 0) {
      // Fast path: the whole frame is inside this chunk. Copy it out so the frame does not pin the
      // socket's chunk (which may be far larger) while it waits in a produce batch.
      bytes = Buffer.from(chunk.subarray(start, Math.min(end, start + this.#maxFrameBytes)));
    } else {
      this.#append(chunk, start, end);
      // The accumulator becomes the frame (no copy out); the next split frame gets a new one. Its
      // doubling growth means the view pins at most twice the frame's length (or 1 KiB).
      bytes = this.#acc.subarray(0, this.#kept);
      this.#acc = EMPTY;
    }
    this.#kept = 0;
    this.#seen = 0;
    this.#mode = 'start';
    return truncated ? { bytes, framing, truncated, originalLength: length } : { bytes, framing, truncated };
  }
}

/**
 * A UDP datagram is one frame. The bytes are a view, not a copy: each datagram arrives in its own
 * buffer of at most 64 KiB, so the view pins nothing else.
 */
export function datagramFrame(msg: Buffer, maxFrameBytes: number): Frame {
  if (msg.length <= maxFrameBytes) return { bytes: msg, framing: 'datagram', truncated: false };
  return { bytes: msg.subarray(0, maxFrameBytes), framing: 'datagram', truncated: true, originalLength: msg.length };
}
