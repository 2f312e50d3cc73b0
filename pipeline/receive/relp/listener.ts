import net from 'node:net';
import { HaetaeError } from '../../errors/catalog';
import { bindStream, type BoundListener, type FrameSink, type ListenerEvents, type ListenerLimits, type ListenerSpec, type PeerInfo } from '../syslog/listeners';
import { relpSession, type RelpErrorCode } from './session';

/** What a RELP listener reports besides the stream listener's events. */
export interface RelpListenerEvents extends ListenerEvents {
  /**
   * A RELP protocol error on a connection (the code says which; `detail` says what was sent).
   * Without it each error goes to `onError` as a HaetaeError carrying the code.
   */
  onProtocolError?(spec: ListenerSpec, peer: PeerInfo, code: RelpErrorCode, detail: string): void;
}

/**
 * Bytes of DATA accepted beyond receiver.maxMessageBytes before a frame ends the session. librelp
 * clients (rsyslog's omrelp) never send more than 128 KiB of DATA (RELP_DFLT_MAX_DATA_SIZE) and
 * resend a refused message forever, so anything up to that is read and truncated to
 * maxMessageBytes (tagged and counted like an oversized TCP message), not refused: refusing it
 * would wedge the client on that message. The 1 KiB allowance covers `open` offers with small limits.
 */
export const RELP_CLIENT_MAX_DATA = 128 * 1024;
const DATA_ALLOWANCE = 1024;

/** Commands held unanswered per session before it stops reading: librelp's client window is 128 by default. */
export const RELP_MAX_UNACKED = 1024;
/** Answers the client has not taken off the wire before the session stops reading (~12k answers). */
const MAX_UNSENT_RESPONSE_BYTES = 256 * 1024;

export function relpMaxDataBytes(maxMessageBytes: number): number {
  return Math.max(maxMessageBytes, RELP_CLIENT_MAX_DATA) + DATA_ALLOWANCE;
}

/**
 * RELP (rsyslog's Reliable Event Logging Protocol) over TCP: the stream listener's limits,
 * backpressure, idle timeout and shutdown, with a RELP session per connection (session.ts) that
 * answers each message only once Kafka stored it.
 */
export function bindRelp(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: RelpListenerEvents): Promise<BoundListener> {
  const onProtocolError = (peer: PeerInfo, code: RelpErrorCode, detail: string): void => {
    if (events.onProtocolError) events.onProtocolError(spec, peer, code, detail);
    else events.onError(spec, new HaetaeError(code, [`${peer.source.address}:${peer.source.port}`, detail]));
  };
  return bindStream(spec, sink, limits, events, {
    // allowHalfOpen: a client that sends its last messages and half-closes still gets their answers.
    server: (onSocket) => net.createServer({ noDelay: true, keepAlive: true, allowHalfOpen: true }, onSocket),
    session: relpSession({
      maxMessageBytes: limits.maxMessageBytes,
      maxDataBytes: relpMaxDataBytes(limits.maxMessageBytes),
      maxUnacked: RELP_MAX_UNACKED,
      maxUnsentResponseBytes: MAX_UNSENT_RESPONSE_BYTES,
      ...(limits.idleTimeoutMs ? { idleTimeoutMs: limits.idleTimeoutMs } : {}),
      software: 'haetae',
      onProtocolError,
    }),
    peer: () => ({ transport: 'relp' }),
  });
}
