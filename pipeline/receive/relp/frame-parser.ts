/**
 * RELP framing (rsyslog's Reliable Event Logging Protocol, librelp's doc/relp.md):
 *
 *   RELP-FRAME = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *   TXNR = 1*9DIGIT   COMMAND = 1*32ALPHA   DATALEN = 1*9DIGIT (octets in DATA; no SP DATA when 0)
 *
 * Parsed as librelp's own server does (relpframe.c): a frame is valid or the session is over, with
 * no resynchronisation — after a framing error nothing later in the stream can be trusted to start
 * a frame. The parser is incremental over arbitrary chunks (a frame may arrive one byte at a time
 * or many frames in one chunk) and bounded: it holds at most `keepBytes` of one frame's DATA,
 * refuses a DATALEN over `maxDataBytes` as soon as its digits pass it (before any byte of data is
 * read), and drops the DATA bytes past `keepBytes` while counting them (the frame comes out
 * `truncated`, the caller decides what that means for its command).
 */

export interface RelpFrame {
  txnr: number;
  /** As sent (RELP commands are letters; librelp compares them case-sensitively). */
  command: string;
  /** DATA, or its first `keepBytes` when longer (then `truncated`). */
  data: Buffer;
  /** DATALEN as declared. */
  dataLength: number;
  truncated: boolean;
}

export type RelpFrameErrorCode = 'HAETAE_RELP_FRAME' | 'HAETAE_RELP_TOO_LARGE';

/** Why a stream stopped being RELP; the session ends (serverclose) on the first one. */
export class RelpFrameError extends Error {
  constructor(readonly code: RelpFrameErrorCode, message: string, readonly declaredLength?: number) {
    super(message);
    this.name = 'RelpFrameError';
  }
}

export interface RelpFrameParserOptions {
  /** Largest DATALEN accepted; a larger one ends the session. */
  maxDataBytes: number;
  /** Bytes of DATA kept per frame; the rest is read and dropped (the frame is `truncated`). */
  keepBytes: number;
}

/** The protocol's own limits (doc/relp.md): 9 digits for TXNR and DATALEN, 32 letters of command. */
export const RELP_MAX_TXNR = 999_999_999;
const MAX_DIGITS = 9;
const MAX_COMMAND = 32;

const LF = 0x0a;
const SP = 0x20;
const EMPTY = Buffer.alloc(0);

type State = 'txnr-first' | 'txnr' | 'command' | 'datalen-first' | 'datalen' | 'data' | 'trailer' | 'failed';

/** What `push` found in one chunk: the frames it completed and, if the stream broke, why (after them). */
export interface RelpParseResult {
  frames: RelpFrame[];
  error?: RelpFrameError;
}

/**
 * One instance per connection. After an error the parser stays failed: every later push returns
 * the same error and no frames (the session is closing anyway).
 */
export class RelpFrameParser {
  readonly #maxDataBytes: number;
  readonly #keepBytes: number;
  #state: State = 'txnr-first';
  #txnr = 0;
  #digits = 0;
  #command = '';
  #dataLength = 0;
  /** DATA kept so far (allocated once DATALEN is known, at most keepBytes). */
  #data: Buffer = EMPTY;
  #kept = 0;
  /** DATA bytes read so far, kept or dropped. */
  #seen = 0;
  #error: RelpFrameError | undefined;

  constructor(opts: RelpFrameParserOptions) {
    for (const [k, v] of Object.entries(opts)) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${String(v)}`);
    }
    if (opts.maxDataBytes > RELP_MAX_TXNR) throw new RangeError(`maxDataBytes cannot exceed ${RELP_MAX_TXNR} (9 digits)`);
    this.#maxDataBytes = opts.maxDataBytes;
    this.#keepBytes = Math.min(opts.keepBytes, opts.maxDataBytes);
  }

  /** Bytes held for the frame in progress: never more than keepBytes. */
  get bufferedBytes(): number {
    return this.#data.length;
  }

  /** True between frames (nothing of a next frame read yet). */
  get idle(): boolean {
    return this.#state === 'txnr-first';
  }

  push(chunk: Buffer): RelpParseResult {
    const frames: RelpFrame[] = [];
    if (this.#error) return { frames, error: this.#error };
    let i = 0;
    try {
      while (i < chunk.length) {
        if (this.#state === 'data') i = this.#readData(chunk, i);
        else {
          const f = this.#header(chunk[i]!);
          i++;
          if (f) frames.push(f);
        }
      }
    } catch (err) {
      if (!(err instanceof RelpFrameError)) throw err;
      this.#state = 'failed';
      this.#data = EMPTY;
      this.#error = err;
      return { frames, error: err };
    }
    return { frames };
  }

  /** One byte of the header or the trailer; returns the frame the trailer completes. */
  #header(b: number): RelpFrame | undefined {
    const digit = b >= 0x30 && b <= 0x39;
    switch (this.#state) {
      case 'txnr-first':
        if (!digit) throw this.#bad(`a frame must start with its transaction number, got ${show(b)}`);
        this.#txnr = 0;
        this.#digits = 0;
        this.#state = 'txnr';
        return this.#header(b);
      case 'txnr':
        if (digit) {
          if (++this.#digits > MAX_DIGITS) throw this.#bad(`transaction number longer than ${MAX_DIGITS} digits`);
          this.#txnr = this.#txnr * 10 + (b - 0x30);
        } else if (b === SP) {
          this.#command = '';
          this.#state = 'command';
        } else throw this.#bad(`transaction number followed by ${show(b)}`);
        return undefined;
      case 'command':
        if ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a)) {
          if (this.#command.length === MAX_COMMAND) throw this.#bad(`command longer than ${MAX_COMMAND} letters`);
          this.#command += String.fromCharCode(b);
        } else if (b === SP && this.#command.length > 0) {
          this.#state = 'datalen-first';
        } else throw this.#bad(`command '${this.#command}' followed by ${show(b)}`);
        return undefined;
      case 'datalen-first':
        if (!digit) throw this.#bad(`command '${this.#command}' has no DATALEN (got ${show(b)})`);
        this.#dataLength = 0;
        this.#digits = 0;
        this.#state = 'datalen';
        return this.#header(b);
      case 'datalen':
        if (digit) {
          if (++this.#digits > MAX_DIGITS) throw this.#bad(`DATALEN longer than ${MAX_DIGITS} digits`);
          this.#dataLength = this.#dataLength * 10 + (b - 0x30);
          // Refused as soon as the digits pass the limit: nothing of the data is ever waited for.
          if (this.#dataLength > this.#maxDataBytes) {
            throw new RelpFrameError('HAETAE_RELP_TOO_LARGE', `frame ${this.#txnr} (${this.#command}) declares at least ${this.#dataLength} bytes of data, more than the ${this.#maxDataBytes} accepted`, this.#dataLength);
          }
          return undefined;
        }
        if (this.#dataLength === 0) {
          // No data: librelp writes `TXNR SP COMMAND SP 0 LF`, and its server expects the LF here.
          this.#state = 'trailer';
          return this.#header(b);
        }
        if (b !== SP) throw this.#bad(`DATALEN ${this.#dataLength} followed by ${show(b)}`);
        this.#kept = 0;
        this.#seen = 0;
        this.#data = Buffer.allocUnsafe(Math.min(this.#dataLength, this.#keepBytes));
        this.#state = 'data';
        return undefined;
      case 'trailer': {
        if (b !== LF) throw this.#bad(`frame ${this.#txnr} (${this.#command}) is not ended by LF after its ${this.#dataLength} bytes of data (got ${show(b)})`);
        const frame: RelpFrame = {
          txnr: this.#txnr,
          command: this.#command,
          data: this.#kept === this.#data.length ? this.#data : this.#data.subarray(0, this.#kept),
          dataLength: this.#dataLength,
          truncated: this.#dataLength > this.#kept,
        };
        this.#data = EMPTY;
        this.#state = 'txnr-first';
        return frame;
      }
      default:
        throw this.#bad('the stream already failed');
    }
  }

  /** DATA bytes: copied in bulk (never byte by byte), the part past keepBytes dropped. */
  #readData(chunk: Buffer, start: number): number {
    const take = Math.min(this.#dataLength - this.#seen, chunk.length - start);
    const keep = Math.min(take, this.#data.length - this.#kept);
    if (keep > 0) {
      chunk.copy(this.#data, this.#kept, start, start + keep);
      this.#kept += keep;
    }
    this.#seen += take;
    if (this.#seen === this.#dataLength) this.#state = 'trailer';
    return start + take;
  }

  #bad(why: string): RelpFrameError {
    return new RelpFrameError('HAETAE_RELP_FRAME', why);
  }
}

/** A byte for an error message: printable ASCII as itself, anything else in hex. */
function show(b: number): string {
  return b > 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** `TXNR rsp DATALEN DATA LF`, the one frame a server sends besides the serverclose hint. */
export function rspFrame(txnr: number, data: string): string {
  const bytes = Buffer.byteLength(data, 'utf8');
  return bytes === 0 ? `${txnr} rsp 0\n` : `${txnr} rsp ${bytes} ${data}\n`;
}

/** The hint a server sends before it closes a session (TXNR 0, no answer expected). */
export const SERVERCLOSE = '0 serverclose 0\n';
