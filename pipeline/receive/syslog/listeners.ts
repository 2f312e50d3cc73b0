import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { normalizeAddress } from '../../envelope/envelope';
import { SenderMatch } from '../../envelope/sender-match';
import { parseCidr } from '../../detect/modifiers/cidr';
import type { Frame } from './frame';
import { SyslogStreamFramer, datagramFrame } from './framer';
import { bindTls } from './tls';
import { bindRelp } from '../relp/listener';
import { bindHttp } from '../http/listener';

export interface ListenerSpec {
  transport: 'udp' | 'tcp' | 'tls' | 'relp' | 'http';
  host: string;
  port: number;
  /** tls: PEM files (absolute, resolved against the config file by the receiver role). */
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  clientAuth?: 'none' | 'optional' | 'required';
  /** http: the accepted tokens file (absolute). */
  tokensFile?: string;
  /**
   * Source networks allowed to send (IPv4 or IPv6 CIDR, or bare addresses; an IPv4-mapped IPv6
   * peer matches IPv4 networks). Anything else is refused at once: a stream connection closed
   * before anything is read, a datagram dropped. Omitted: every source.
   */
  allow?: readonly string[];
}

export interface PeerInfo {
  transport: 'udp' | 'tcp' | 'tls' | 'relp' | 'http';
  source: { address: string; port: number };
  listener: { address: string; port: number };
  /** TLS (and RELP over TLS): the client certificate the peer presented, when it presented one. */
  tls?: { subject: string; issuer?: string; fingerprint256?: string };
}

/** What listeners hand frames to, and how they learn to slow down. */
export interface FrameSink {
  /**
   * Returns false when the frame was dropped (UDP under overload); the listener counts it.
   * `onStored` is called once Kafka has stored the message's envelope (acks=all): inputs that
   * acknowledge to their sender (RELP, HTTP/HEC) answer only then.
   */
  accept(frame: Frame, peer: PeerInfo, onStored?: () => void): boolean;
  /** True while the sink holds too much: TCP listeners stop reading until `onDrain`. */
  readonly saturated: boolean;
  onDrain(listener: () => void): void;
}

export interface ListenerEvents {
  onError(spec: ListenerSpec, err: Error): void;
  onConnection?(spec: ListenerSpec, peer: string, open: boolean): void;
  /** A TCP connection was closed at once: the listener (`total`) or its source (`source`) had too many. */
  onConnectionRefused?(spec: ListenerSpec, source: string, limit: 'total' | 'source'): void;
  /** A TCP connection sent nothing for idleTimeoutMs and was closed; `flushed` frames it held were kept. */
  onIdleClose?(spec: ListenerSpec, peer: string, flushed: number, source?: string): void;
  onSmallBuffer?(spec: ListenerSpec, granted: number, wanted: number): void;
  /**
   * A source hit a limit: one call per refused connection, per dropped datagram, per time a stream
   * is paused by the rate limit. `source` is the normalized address (::ffff:10.1.2.3 → 10.1.2.3).
   * Every listener (TLS, RELP, HTTP too) reports its refusals here so they are counted per source
   * and reason (haetae_receiver_limited_total) and logged once a minute per listener, source and reason;
   * `detail` (optional) replaces the generic explanation in that log line.
   */
  onLimited?(spec: ListenerSpec, source: string, reason: LimitReason, action: LimitAction, detail?: string): void;
  /** The rate limiter forgot a source to stay within rateLimit.maxSources (see SourceRateLimiter). */
  onSourceEvicted?(spec: ListenerSpec): void;
}

/** Why a source was limited; listeners may add their own (a TLS handshake failure, a bad token). */
export type LimitReason = 'connection_limit' | 'source_connection_limit' | 'rate_limit' | 'idle_timeout' | 'not_allowed' | 'overload' | (string & {});
/**
 * What was done: `closed` a connection (at once or idle), `dropped` a datagram or request, `paused`
 * reading a stream (nothing lost). closed and dropped also count in haetae_dropped_total.
 */
export type LimitAction = 'closed' | 'dropped' | 'paused';

export interface BoundListener {
  spec: ListenerSpec;
  /** The real address and port (port 0 in the spec asks the OS for one). */
  address: { address: string; port: number };
  close(): Promise<void>;
}

export interface ListenerLimits {
  maxMessageBytes: number;
  udpReceiveBufferBytes: number;
  /** Open TCP connections on the listener; the next one is closed at once. Default here: no limit (the config's: 1024). */
  maxConnections?: number;
  /** Open TCP connections from one source address on the listener. Default here: no limit (the config's: 64). */
  maxConnectionsPerSource?: number;
  /** A TCP connection that sent nothing for this long is closed. Default: never. */
  idleTimeoutMs?: number;
  /** Per-source token bucket (see SourceRateLimiter for the policy per transport). Default: none. */
  rateLimit?: RateLimit;
}

export interface RateLimit {
  /** Tokens (messages) a source earns per second; 0 turns the limit off. */
  messagesPerSecond: number;
  /** Bucket size: how many messages a quiet source may send at once. */
  burst: number;
  /** Sources tracked per listener; past it the least recently seen is forgotten. Default 10,000. */
  maxSources?: number;
}

export async function bindListener(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents): Promise<BoundListener> {
  switch (spec.transport) {
    case 'udp': return bindUdp(spec, sink, limits, events);
    case 'tcp': return bindTcp(spec, sink, limits, events);
    case 'tls': return bindTls(spec, sink, limits, events);
    case 'relp': return bindRelp(spec, sink, limits, events);
    case 'http': return bindHttp(spec, sink, limits, events);
  }
}

function bindUdp(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents): Promise<BoundListener> {
  const type = isIP(spec.host) === 6 ? 'udp6' : 'udp4';
  const allowed = allowList(spec);
  const limiter = sourceRateLimiter(spec, limits, events);
  const socket = dgram.createSocket({ type, reuseAddr: false, recvBufferSize: limits.udpReceiveBufferBytes });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(spec.port, spec.host, () => {
      socket.off('error', reject);
      socket.on('error', (err) => events.onError(spec, err));
      const local = socket.address();
      const listener = { address: local.address, port: local.port };
      const granted = socket.getRecvBufferSize();
      // Linux grants at most net.core.rmem_max (doubled for bookkeeping); a small buffer is where
      // UDP bursts get lost, so say it once at start-up instead of leaving it to be discovered.
      if (granted < limits.udpReceiveBufferBytes) events.onSmallBuffer?.(spec, granted, limits.udpReceiveBufferBytes);
      socket.on('message', (msg, rinfo) => {
        // Checked before the frame is built: a refused datagram costs no allocation.
        const source = normalizeAddress(rinfo.address);
        if (allowed && !allowed(source)) {
          events.onLimited?.(spec, source, 'not_allowed', 'dropped');
          return;
        }
        // UDP cannot be slowed down: over its rate a source's datagrams are dropped and counted.
        if (limiter && !limiter.tryTake(source, performance.now())) {
          events.onLimited?.(spec, source, 'rate_limit', 'dropped');
          return;
        }
        // false: the sink dropped it (Kafka behind) and counted it in haetae_dropped_total; here it is counted per source.
        if (!sink.accept(datagramFrame(msg, limits.maxMessageBytes), { transport: 'udp', source: { address: rinfo.address, port: rinfo.port }, listener })) {
          events.onLimited?.(spec, source, 'overload', 'dropped');
        }
      });
      resolve({ spec, address: listener, close: () => new Promise((r) => socket.close(() => r())) });
    });
  });
}

/**
 * The listener's allow list as a check of a normalized source address, or null when every source
 * is allowed. A bad entry throws a RangeError naming `where[j]`. Results are cached per source
 * (SenderMatch, bounded), so a datagram costs one map lookup, not an address parse.
 */
export function allowList(spec: Pick<ListenerSpec, 'allow' | 'port' | 'transport' | 'host'>, where = `receiver listener ${spec.transport}/${spec.host}:${spec.port} allow`): ((source: string) => boolean) | null {
  if (!spec.allow) return null;
  spec.allow.forEach((text, j) => {
    if (parseCidr(text.trim()) === null) throw new RangeError(`${where}[${j}]: '${text}' is not an IP address or CIDR network (such as 10.0.0.0/8 or 2001:db8::/32)`);
  });
  const match = new SenderMatch([{ sources: spec.allow, value: true }], false, where);
  return (source) => match.for(source, 0);
}

function sourceRateLimiter(spec: ListenerSpec, limits: ListenerLimits, events: ListenerEvents): SourceRateLimiter | null {
  const r = limits.rateLimit;
  if (!r || r.messagesPerSecond <= 0) return null;
  return new SourceRateLimiter(r, () => events.onSourceEvicted?.(spec));
}

interface Bucket {
  tokens: number;
  /** When tokens were last brought up to date (performance.now() ms). */
  at: number;
  /** When the entry was last moved to the map's end (its recency, to 1 s). */
  placed: number;
}

/**
 * Per-source token buckets in a bounded map. Each source earns messagesPerSecond tokens a second
 * up to `burst`; a message costs one.
 *
 * - O(1) per message and no timers: a bucket is refilled lazily, from the time elapsed since it
 *   was last touched, when it is used.
 * - Bounded: at most maxSources buckets. A new source over the bound evicts the least recently
 *   seen one (the Map's first entry). Entries are moved to the end at most once a second per
 *   source, so the order is recency to within a second for the price of one delete+set per
 *   source per second. A forgotten source starts again with a full bucket: a flood of spoofed
 *   addresses can make a real sender's bucket be forgotten (counted, onEvict), never grow memory.
 *
 * Policy per transport: UDP takes a token or drops the datagram (`tryTake`); streams (TCP, TLS,
 * RELP) are charged for the frames a read produced and go into debt (`charge`): the listener then
 * stops reading that connection until the debt is paid back, so nothing is lost and TCP slows the
 * sender. A stream therefore reads at most one chunk (≤ 64 KiB) past its allowance.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxSources: number;

  constructor(limit: RateLimit, private readonly onEvict: () => void = () => undefined) {
    if (!(limit.messagesPerSecond > 0) || !(limit.burst >= 1)) throw new RangeError(`a rate limit needs messagesPerSecond > 0 and burst >= 1, got ${limit.messagesPerSecond} and ${limit.burst}`);
    this.perMs = limit.messagesPerSecond / 1000;
    this.burst = limit.burst;
    this.maxSources = Math.max(1, limit.maxSources ?? 10_000);
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token if the source has one (UDP). */
  tryTake(source: string, now: number): boolean {
    const b = this.bucket(source, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * Charges `n` messages already read (streams), into debt if need be; returns how many ms until
   * the source's balance is back to zero (0: it may go on reading).
   */
  charge(source: string, n: number, now: number): number {
    const b = this.bucket(source, now);
    b.tokens -= n;
    return b.tokens >= 0 ? 0 : -b.tokens / this.perMs;
  }

  /** Ms until the source's balance is back to zero (0 when it is, or when it is no longer tracked). */
  waitMs(source: string, now: number): number {
    const b = this.buckets.get(source);
    if (!b) return 0;
    this.refill(b, now);
    return b.tokens >= 0 ? 0 : -b.tokens / this.perMs;
  }

  private refill(b: Bucket, now: number): void {
    const earned = (now - b.at) * this.perMs;
    if (earned > 0) {
      b.tokens = Math.min(this.burst, b.tokens + earned);
      b.at = now;
    }
  }

  private bucket(source: string, now: number): Bucket {
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
        this.onEvict();
      }
      b = { tokens: this.burst, at: now, placed: now };
      this.buckets.set(source, b);
      return b;
    }
    this.refill(b, now);
    if (now - b.placed >= 1_000) {
      this.buckets.delete(source);
      this.buckets.set(source, b);
      b.placed = now;
    }
    return b;
  }
}

function bindTcp(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents): Promise<BoundListener> {
  return bindStream(spec, sink, limits, events, {
    server: (onSocket) => net.createServer({ noDelay: true, keepAlive: true }, onSocket),
    session: syslogStreamSession(limits),
  });
}

/**
 * One connection's protocol over a byte stream: it reads what `push` gets and hands messages to
 * the sink; `end` is told the connection is over (EOF, reset, idle, shutdown) and returns how many
 * held messages it still handed over. Plain syslog framing (RFC 6587) is one; RELP is another.
 */
export interface StreamSession {
  push(chunk: Buffer): void;
  end(): number;
  /**
   * The listener is shutting down (optional). A session that still owes its client answers (RELP)
   * finishes them and closes its side itself; without it the listener half-closes the connection.
   * Either way the listener destroys what is still open after its grace period.
   */
  shutdown?(): void;
}

export type SessionFactory = (socket: net.Socket, peer: PeerInfo, sink: FrameSink) => StreamSession;

/** RFC 6587 framing (octet counting or LF) of syslog over TCP and TLS (RFC 5425). */
export function syslogStreamSession(limits: Pick<ListenerLimits, 'maxMessageBytes'>): SessionFactory {
  return (_socket, peer, sink) => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: limits.maxMessageBytes });
    return {
      push(chunk) { for (const frame of framer.push(chunk)) sink.accept(frame, peer); },
      end() {
        const frames = framer.end();
        for (const frame of frames) sink.accept(frame, peer);
        return frames.length;
      },
    };
  };
}

/**
 * A listener's open connections, in total and per source, against maxConnections and
 * maxConnectionsPerSource: checked before anything is read from (or allocated for) a connection.
 */
export class ConnectionSlots {
  #total = 0;
  readonly #perSource = new Map<string, number>();

  constructor(private readonly limits: Pick<ListenerLimits, 'maxConnections' | 'maxConnectionsPerSource'>) {}

  /**
   * Takes a slot for `source`, given back when `socket` closes; or, taking nothing, says which
   * limit is reached.
   */
  take(source: string, socket: net.Socket): 'total' | 'source' | null {
    const { maxConnections, maxConnectionsPerSource } = this.limits;
    const held = this.#perSource.get(source) ?? 0;
    if (maxConnections !== undefined && this.#total >= maxConnections) return 'total';
    if (maxConnectionsPerSource !== undefined && held >= maxConnectionsPerSource) return 'source';
    this.#total++;
    this.#perSource.set(source, held + 1);
    socket.once('close', () => {
      this.#total--;
      const left = (this.#perSource.get(source) ?? 1) - 1;
      if (left > 0) this.#perSource.set(source, left);
      else this.#perSource.delete(source);
    });
    return null;
  }
}

/** Closes a connection refused before anything was read from it (the peer may reset first: nothing to report). */
export function refuseConnection(socket: net.Socket): void {
  socket.on('error', () => undefined);
  socket.destroy();
}

export interface StreamTransport {
  /** Creates the server; `onSocket` must be called with each connection ready to carry data (after a TLS handshake). */
  server(onSocket: (socket: net.Socket) => void): net.Server;
  session: SessionFactory;
  /** What the peer's connection adds to PeerInfo (the transport name, a TLS peer's certificate). */
  peer?(socket: net.Socket): Pick<PeerInfo, 'transport'> & Partial<PeerInfo>;
}

/**
 * A stream listener (TCP, TLS, RELP): the allow list and connection limits checked before
 * anything is read or allocated, backpressure (a saturated sink pauses every connection until it
 * drains), the per-source rate limit (a source over it has its connections paused until its
 * bucket is out of debt: one timer for the listener, not one per source), idle timeouts, and a
 * close that half-closes connections so senders' in-flight messages are read.
 */
export function bindStream(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents, transport: StreamTransport): Promise<BoundListener> {
  const sockets = new Set<net.Socket>();
  const sessions = new Map<net.Socket, StreamSession>();
  /** Paused because the sink is saturated; all resumed on drain. */
  const paused = new Set<net.Socket>();
  /** Paused because their source is over its rate; value: the source. Resumed by `rateTimer`. */
  const ratePaused = new Map<net.Socket, string>();
  const slots = new ConnectionSlots(limits);
  const idleMs = limits.idleTimeoutMs;
  const allowed = allowList(spec);
  const limiter = sourceRateLimiter(spec, limits, events);
  let rateTimer: NodeJS.Timeout | null = null;
  let rateWakeAt = Infinity;
  let closing = false;

  const resumeReading = (s: net.Socket): void => {
    s.resume();
    // The idle timer may have fired while we were not reading (then it was ignored): start it again.
    if (idleMs) s.setTimeout(idleMs);
  };
  /** Wakes once at the earliest moment a rate-paused source is out of debt (never sooner than 5 ms apart). */
  const scheduleRate = (ms: number): void => {
    const at = performance.now() + Math.max(5, ms);
    if (rateTimer !== null && rateWakeAt <= at) return;
    if (rateTimer !== null) clearTimeout(rateTimer);
    rateWakeAt = at;
    rateTimer = setTimeout(resumeRatePaused, at - performance.now());
  };
  const resumeRatePaused = (): void => {
    // Also called directly on close: the pending wake-up is then void.
    if (rateTimer !== null) clearTimeout(rateTimer);
    rateTimer = null;
    rateWakeAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [s, source] of ratePaused) {
      const wait = closing ? 0 : limiter!.waitMs(source, now);
      if (wait > 0) {
        next = Math.min(next, wait);
        continue;
      }
      ratePaused.delete(s);
      // Still over the sink's bound: it stays paused until the drain.
      if (sink.saturated) paused.add(s);
      else resumeReading(s);
    }
    if (next < Infinity) scheduleRate(next);
  };

  // One drain listener for the whole server: resume every connection we paused (those also over
  // their source's rate wait for the rate timer).
  sink.onDrain(() => {
    for (const s of paused) if (!ratePaused.has(s)) resumeReading(s);
    paused.clear();
  });
  const server = transport.server((socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (allowed && !allowed(address)) {
      refuseConnection(socket);
      events.onLimited?.(spec, address, 'not_allowed', 'closed');
      return;
    }
    // Limits are checked before anything is read or allocated for the connection: each open one
    // costs a socket, kernel buffers and up to maxMessageBytes of partial frame.
    const over = slots.take(address, socket);
    if (over) {
      refuseConnection(socket);
      events.onConnectionRefused?.(spec, address, over);
      return;
    }
    sockets.add(socket);
    const local = server.address() as net.AddressInfo;
    const peer: PeerInfo = {
      transport: 'tcp',
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      listener: { address: local.address, port: local.port },
      ...transport.peer?.(socket),
    };
    const label = `${peer.source.address}:${peer.source.port}`;
    events.onConnection?.(spec, label, true);
    // The rate limit is per message, and only the session knows how many messages a chunk held.
    let frames = 0;
    const counted: FrameSink = limiter
      ? {
          accept(frame, p, onStored) { frames++; return sink.accept(frame, p, onStored); },
          get saturated() { return sink.saturated; },
          onDrain(listener) { sink.onDrain(listener); },
        }
      : sink;
    const session = transport.session(socket, peer, counted);
    sessions.set(socket, session);
    socket.on('data', (chunk: Buffer) => {
      frames = 0;
      session.push(chunk);
      // Over its rate: stop reading this connection until the source's bucket is out of debt.
      if (limiter && frames > 0 && !closing) {
        const wait = limiter.charge(address, frames, performance.now());
        if (wait > 0 && !ratePaused.has(socket)) {
          socket.pause();
          ratePaused.set(socket, address);
          scheduleRate(wait);
          events.onLimited?.(spec, address, 'rate_limit', 'paused');
        }
      }
      // Backpressure: stop reading; the kernel's buffers fill and TCP slows the sender down.
      if (sink.saturated) {
        socket.pause();
        paused.add(socket);
      }
    });
    let ended = false;
    /** What the session holds when the connection ends is kept, as RFC 6587 senders often omit the last LF. */
    const flush = (): number => {
      if (ended) return 0;
      ended = true;
      return session.end();
    };
    socket.on('end', flush);
    if (idleMs) {
      socket.setTimeout(idleMs);
      socket.on('timeout', () => {
        // Not reading (backpressure, rate limit) is not the sender being idle; resuming re-arms the timer.
        if (paused.has(socket) || ratePaused.has(socket)) return;
        const n = flush();
        socket.destroy();
        events.onIdleClose?.(spec, label, n, address);
      });
    }
    socket.on('error', (err) => events.onError(spec, err));
    socket.on('close', () => {
      // Reset or destroyed (shutdown's grace period over) without an 'end': keep what was held too.
      flush();
      sockets.delete(socket);
      sessions.delete(socket);
      paused.delete(socket);
      ratePaused.delete(socket);
      events.onConnection?.(spec, label, false);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: spec.port, host: spec.host }, () => {
      server.off('error', reject);
      server.on('error', (err) => events.onError(spec, err));
      const a = server.address() as net.AddressInfo;
      resolve({
        spec,
        address: { address: a.address, port: a.port },
        close: () =>
          new Promise((r) => {
            server.close(() => {
              if (rateTimer !== null) clearTimeout(rateTimer);
              r();
            });
            // Shutting down: what senders have in flight is read whatever their rate.
            closing = true;
            resumeRatePaused();
            // Half-close: senders see EOF and we still read what they had in flight (a session
            // that owes answers, RELP, sends them first and closes itself).
            for (const s of sockets) {
              const session = sessions.get(s);
              if (session?.shutdown) session.shutdown();
              else s.end();
            }
            setTimeout(() => { for (const s of sockets) s.destroy(); }, 2_000).unref();
          }),
      });
    });
  });
}
