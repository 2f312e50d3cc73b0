import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
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
  onIdleClose?(spec: ListenerSpec, peer: string, flushed: number): void;
  onSmallBuffer?(spec: ListenerSpec, granted: number, wanted: number): void;
}

export interface BoundListener {
  spec: ListenerSpec;
  /** The real address and port (port 0 in the spec asks the OS for one). */
  address: { address: string; port: number };
  close(): Promise<void>;
}

export interface ListenerLimits {
  maxMessageBytes: number;
  udpReceiveBufferBytes: number;
  /** Open TCP connections on the listener; the next one is closed at once. Default: no limit. */
  maxConnections?: number;
  /** Open TCP connections from one source address on the listener. Default: no limit. */
  maxConnectionsPerSource?: number;
  /** A TCP connection that sent nothing for this long is closed. Default: never. */
  idleTimeoutMs?: number;
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
        sink.accept(datagramFrame(msg, limits.maxMessageBytes), { transport: 'udp', source: { address: rinfo.address, port: rinfo.port }, listener });
      });
      resolve({ spec, address: listener, close: () => new Promise((r) => socket.close(() => r())) });
    });
  });
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

export interface StreamTransport {
  /** Creates the server; `onSocket` must be called with each connection ready to carry data (after a TLS handshake). */
  server(onSocket: (socket: net.Socket) => void): net.Server;
  session: SessionFactory;
  /** What the peer's connection adds to PeerInfo (the transport name, a TLS peer's certificate). */
  peer?(socket: net.Socket): Pick<PeerInfo, 'transport'> & Partial<PeerInfo>;
}

/**
 * A stream listener (TCP, TLS, RELP): connection limits checked before anything is read or
 * allocated, backpressure (a saturated sink pauses every connection until it drains), idle
 * timeouts, and a close that half-closes connections so senders' in-flight messages are read.
 */
export function bindStream(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents, transport: StreamTransport): Promise<BoundListener> {
  const sockets = new Set<net.Socket>();
  const paused = new Set<net.Socket>();
  /** Open connections per source address (for maxConnectionsPerSource). */
  const perSource = new Map<string, number>();
  const idleMs = limits.idleTimeoutMs;
  // One drain listener for the whole server: resume every connection we paused.
  sink.onDrain(() => {
    for (const s of paused) {
      s.resume();
      // The idle timer may have fired while we were not reading (then it was ignored): start it again.
      if (idleMs) s.setTimeout(idleMs);
    }
    paused.clear();
  });
  const server = transport.server((socket) => {
    const address = socket.remoteAddress ?? '';
    // Limits are checked before anything is read or allocated for the connection: each open one
    // costs a socket, kernel buffers and up to maxMessageBytes of partial frame.
    const over = limits.maxConnections !== undefined && sockets.size >= limits.maxConnections ? 'total'
      : limits.maxConnectionsPerSource !== undefined && (perSource.get(address) ?? 0) >= limits.maxConnectionsPerSource ? 'source'
      : null;
    if (over) {
      socket.on('error', () => undefined); // the peer may reset first; nothing to report
      socket.destroy();
      events.onConnectionRefused?.(spec, address, over);
      return;
    }
    sockets.add(socket);
    perSource.set(address, (perSource.get(address) ?? 0) + 1);
    const local = server.address() as net.AddressInfo;
    const peer: PeerInfo = {
      transport: 'tcp',
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      listener: { address: local.address, port: local.port },
      ...transport.peer?.(socket),
    };
    const label = `${peer.source.address}:${peer.source.port}`;
    events.onConnection?.(spec, label, true);
    const session = transport.session(socket, peer, sink);
    socket.on('data', (chunk: Buffer) => {
      session.push(chunk);
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
        // Not reading (backpressure) is not the sender being idle; the drain handler re-arms the timer.
        if (paused.has(socket)) return;
        const n = flush();
        socket.destroy();
        events.onIdleClose?.(spec, label, n);
      });
    }
    socket.on('error', (err) => events.onError(spec, err));
    socket.on('close', () => {
      // Reset or destroyed (shutdown's grace period over) without an 'end': keep what was held too.
      flush();
      sockets.delete(socket);
      paused.delete(socket);
      const left = (perSource.get(address) ?? 1) - 1;
      if (left > 0) perSource.set(address, left);
      else perSource.delete(address);
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
            server.close(() => r());
            // Half-close: senders see EOF and we still read what they had in flight.
            for (const s of sockets) s.end();
            setTimeout(() => { for (const s of sockets) s.destroy(); }, 2_000).unref();
          }),
      });
    });
  });
}
