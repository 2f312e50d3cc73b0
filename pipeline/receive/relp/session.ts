import type net from 'node:net';
import type { Frame } from '../syslog/frame';
import type { FrameSink, PeerInfo, SessionFactory, StreamSession } from '../syslog/listeners';
import { RELP_MAX_TXNR, RelpFrameParser, SERVERCLOSE, rspFrame, type RelpFrame } from './frame-parser';
import { answerOffers, parseOffers } from './offers';

/** The protocol errors a RELP session counts (pipeline/errors/catalog.ts, docs/errors.md). */
export type RelpErrorCode = 'HAETAE_RELP_FRAME' | 'HAETAE_RELP_TOO_LARGE' | 'HAETAE_RELP_TXNR' | 'HAETAE_RELP_OPEN' | 'HAETAE_RELP_COMMAND';

export interface RelpSessionOptions {
  /** receiver.maxMessageBytes: a syslog message's bytes past it are dropped and it is tagged truncated. */
  maxMessageBytes: number;
  /** Largest DATALEN accepted; a frame declaring more ends the session (serverclose). */
  maxDataBytes: number;
  /** Messages (and answers) a session holds unanswered before it stops reading from the client. */
  maxUnacked: number;
  /** Answers written but not yet taken by the client's TCP before reading stops (a client that does not read). */
  maxUnsentResponseBytes: number;
  /** Re-armed when reading resumes (the idle timer must not fire while we wait for Kafka). */
  idleTimeoutMs?: number;
  /** relp_software in the answer to `open`. */
  software: string;
  onProtocolError(peer: PeerInfo, code: RelpErrorCode, detail: string): void;
}

/** A command waiting for its answer; `response` is set once the answer may be sent (for syslog: once Kafka stored it). */
interface Pending {
  txnr: number;
  response: string | null;
}

/** How long a closing session waits for its last answers (Kafka slow) before it gives up on them. */
const CLOSING_GRACE_MS = 30_000;
/** After serverclose: how long the client gets to close before the connection is destroyed. */
const FAILED_GRACE_MS = 2_000;

export function relpSession(opts: RelpSessionOptions): SessionFactory {
  return (socket, peer, sink) => new RelpSession(socket, peer, sink, opts);
}

/**
 * One RELP connection, server side (librelp's doc/relp.md; behaviour checked against librelp's
 * server and client code).
 *
 * - `open` is answered with our offers (relp_version=0, commands=syslog) once the client offered
 *   a relp_version and commands=syslog; otherwise `500` and the session ends.
 * - `syslog`: the message goes to the sink with `onStored`; its `200 OK` is sent only once Kafka
 *   stored the envelope (acks=all). Until then the client keeps the message and resends it on a
 *   new session if this one ends: nothing the client sent is lost when the receiver dies.
 * - Answers go out in the order of the commands. librelp's client would take them in any order
 *   (it looks each txnr up in its unacknowledged list), but the spec says "in the exact same
 *   order", other clients may rely on it, and one source's messages share a Kafka partition, so
 *   they are stored in order anyway.
 * - `close` is answered (after everything before it) and the connection is closed.
 * - Unknown commands get `500` and the session goes on; a framing error, an oversized frame, a
 *   transaction number out of sequence or a command before `open` end it: `serverclose` hint,
 *   then close, without waiting (the spec: "aborting errored connections is ... secure").
 * - At most maxUnacked commands wait for their answer: past it (or when the client does not read
 *   its answers) the session stops reading, so TCP holds the client back. A read may carry a
 *   whole chunk of small frames past the cap: the overshoot is bounded by one socket read.
 * - Receiver shutdown (SIGTERM): reading stops, the messages already read are answered as Kafka
 *   stores them, then `serverclose` and close (shutdown()).
 * - The session ending any other way (reset, idle, a crash) answers nothing more: what was not
 *   answered is resent by the client. Kafka may still store it, so a resend can duplicate.
 */
class RelpSession implements StreamSession {
  readonly #parser: RelpFrameParser;
  #state: 'await-open' | 'open' | 'closing' | 'done' = 'await-open';
  #expectedTxnr = 1;
  /** Commands in arrival order, answered from the head; `#head` avoids shifting the array. */
  #queue: Pending[] = [];
  #head = 0;
  #flushScheduled = false;
  #pausedByUs = false;
  #closingTimer: NodeJS.Timeout | undefined;
  #shuttingDown = false;

  constructor(private readonly socket: net.Socket, private readonly peer: PeerInfo, private readonly sink: FrameSink, private readonly opts: RelpSessionOptions) {
    this.#parser = new RelpFrameParser({ maxDataBytes: opts.maxDataBytes, keepBytes: opts.maxMessageBytes });
    // The listener resumes every socket it paused when the sink drains; one we hold back for a
    // full window must stay paused ('resume' is emitted before any data flows again).
    socket.on('resume', () => {
      if (!this.#mustPause()) return;
      socket.pause();
      if (opts.idleTimeoutMs) socket.setTimeout(0); // the listener re-armed it as it resumed
    });
    socket.on('drain', () => this.#updatePause());
  }

  /** Commands not answered yet (the window in use). */
  get unanswered(): number {
    return this.#queue.length - this.#head;
  }

  push(chunk: Buffer): void {
    if (this.#state === 'done' || this.#state === 'closing') return; // nothing may follow close or a failure
    const { frames, error } = this.#parser.push(chunk);
    for (const f of frames) {
      if (this.#state !== 'await-open' && this.#state !== 'open') break;
      this.#handle(f);
    }
    if (error) this.#fail(error.code, error.message);
    this.#updatePause();
  }

  end(): number {
    if (this.#state === 'done') return 0;
    if (this.socket.destroyed || this.unanswered === 0) {
      this.#finish();
      return 0;
    }
    // The client half-closed with answers due: send them as Kafka stores the messages, then close.
    if (this.#state !== 'closing') {
      this.#state = 'closing';
      this.#closingTimer = setTimeout(() => this.#finish(true), CLOSING_GRACE_MS).unref();
    }
    return 0;
  }

  /**
   * The receiver is shutting down: read no more commands (what the client sends from now on it
   * resends to the next receiver), answer those Kafka stores, then send the `serverclose` hint
   * and close, so a graceful restart leaves the client nothing to resend twice. The listener
   * destroys the connection if Kafka does not store them within its grace period (the client
   * then resends what was not answered).
   */
  shutdown(): void {
    if (this.#state === 'done') return;
    this.#shuttingDown = true;
    if (this.unanswered === 0) return this.#serverClose();
    if (this.#state !== 'closing') {
      this.#state = 'closing';
      this.#closingTimer = setTimeout(() => this.#finish(true), CLOSING_GRACE_MS).unref();
    }
  }

  #serverClose(): void {
    if (this.socket.writable) this.socket.write(SERVERCLOSE);
    this.#finish(true);
  }

  #handle(f: RelpFrame): void {
    // TXNR 0 carries hints, which are never answered; a client has none we act on.
    if (f.txnr === 0) return;
    if (f.txnr !== this.#expectedTxnr) {
      this.#fail('HAETAE_RELP_TXNR', `frame ${f.command} has transaction number ${f.txnr} where ${this.#expectedTxnr} was due`);
      return;
    }
    this.#expectedTxnr = this.#expectedTxnr === RELP_MAX_TXNR ? 1 : this.#expectedTxnr + 1;
    switch (f.command) {
      case 'syslog':
        if (this.#state !== 'open') return this.#refuse(f.txnr, 'HAETAE_RELP_OPEN', 'sent syslog before open');
        return this.#syslog(f);
      case 'open': {
        // librelp answers a repeated open the same way (a known client quirk, harmless).
        if (this.#state === 'open') return this.#answer(f.txnr, '200 connection already open - ignored');
        if (f.truncated) return this.#refuse(f.txnr, 'HAETAE_RELP_OPEN', `its open offers are ${f.dataLength} bytes long`);
        const offers = answerOffers(parseOffers(f.data), this.opts.software);
        if (!offers.ok) return this.#refuse(f.txnr, 'HAETAE_RELP_OPEN', offers.reason);
        this.#state = 'open';
        return this.#answer(f.txnr, offers.data);
      }
      case 'close':
        this.#state = 'closing';
        // librelp's server answers close with no data; "200 OK" is what the client's response
        // reader expects (three digits, SP) and lets it finish its close at once.
        this.#answer(f.txnr, '200 OK');
        this.#closingTimer = setTimeout(() => this.#finish(true), CLOSING_GRACE_MS).unref();
        return;
      default:
        this.opts.onProtocolError(this.peer, 'HAETAE_RELP_COMMAND', `command '${f.command.slice(0, 32)}' is not supported (answered 500)`);
        return this.#answer(f.txnr, '500 command not supported');
    }
  }

  #syslog(f: RelpFrame): void {
    const pending: Pending = { txnr: f.txnr, response: null };
    this.#queue.push(pending);
    if (f.dataLength === 0) {
      // An empty message has nothing to keep.
      pending.response = '200 OK';
      this.#scheduleFlush();
      return;
    }
    const frame: Frame = f.truncated
      ? { bytes: f.data, framing: 'octet-counting', truncated: true, originalLength: f.dataLength }
      : { bytes: f.data, framing: 'octet-counting', truncated: false };
    const accepted = this.sink.accept(frame, this.peer, () => {
      pending.response = '200 OK';
      this.#scheduleFlush();
    });
    // Only UDP is ever dropped by the sink; should it drop ours, ending the session makes the client resend.
    if (!accepted) this.#finish(true);
  }

  #answer(txnr: number, response: string): void {
    this.#queue.push({ txnr, response });
    this.#scheduleFlush();
  }

  /** Answers 500 and ends the session: the client cannot go on from here. */
  #refuse(txnr: number, code: RelpErrorCode, reason: string): void {
    this.#queue.push({ txnr, response: `500 ${reason}`.slice(0, 84) });
    this.#fail(code, reason);
  }

  /** One write for every answer that became due in this turn of the event loop (a Kafka batch acknowledges many). */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#state === 'done') return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#state === 'done') return;
    let out = '';
    while (this.#head < this.#queue.length) {
      const p = this.#queue[this.#head]!;
      if (p.response === null) break;
      out += rspFrame(p.txnr, p.response);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (out && this.socket.writable) this.socket.write(out);
    if (this.#state === 'closing' && this.unanswered === 0) {
      if (this.#shuttingDown) this.#serverClose();
      else this.#finish();
    } else this.#updatePause();
  }

  /** A protocol error: count it, send what is already due, hint serverclose and close. */
  #fail(code: RelpErrorCode, detail: string): void {
    if (this.#state === 'done') return;
    this.opts.onProtocolError(this.peer, code, detail);
    this.#flush();
    if (this.socket.writable) this.socket.write(SERVERCLOSE);
    this.#finish(true);
  }

  /** The session is over: answer nothing more, end our side, destroy if the client lingers. */
  #finish(force = false): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    clearTimeout(this.#closingTimer);
    this.#queue = [];
    this.#head = 0;
    if (!this.socket.destroyed) {
      this.socket.end();
      if (force) setTimeout(() => this.socket.destroy(), FAILED_GRACE_MS).unref();
    }
  }

  #mustPause(): boolean {
    return this.#state !== 'done' && (this.unanswered >= this.opts.maxUnacked || this.socket.writableLength > this.opts.maxUnsentResponseBytes);
  }

  #updatePause(): void {
    if (this.#mustPause()) {
      if (!this.#pausedByUs) {
        this.#pausedByUs = true;
        this.socket.pause();
        // Waiting for Kafka (or for the client to read) is not the client being idle.
        if (this.opts.idleTimeoutMs) this.socket.setTimeout(0);
      }
    } else if (this.#pausedByUs) {
      this.#pausedByUs = false;
      if (this.opts.idleTimeoutMs) this.socket.setTimeout(this.opts.idleTimeoutMs);
      // If the sink is saturated the listener pauses it again after the next read.
      this.socket.resume();
    }
  }
}
