import dgram from 'node:dgram';
import { ReplyLimiter } from './reply-limit';
import { isIP } from 'node:net';
import type { Message } from 'kafkajs';
import type { BatchingProducer } from '../../../connectors/kafka/batching-producer';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { encodeEnvelope, normalizeAddress } from '../../envelope/envelope';
import type { EnvelopeIds } from '../../envelope/envelope-id';
import type { TrapDecoder } from './decoder';
import { buildSnmpEnvelope, UnsupportedVarbind } from './envelope';
import type { DeliveryNotices } from './delivery';
import { RefusalLog } from './refusal-log';

export interface TrapListenerSpec { host: string; port: number }

export interface BoundTrapListener {
  spec: TrapListenerSpec;
  address: { address: string; port: number };
  close(): Promise<void>;
}

export interface TrapPathOptions {
  observerHostname: string;
  ids: EnvelopeIds;
  maxPendingMessages: number;
  maxPendingBytes: number;
  udpReceiveBufferBytes: number;
}

/** An inform waiting for Kafka: the Responses to send (one per copy the sender retried meanwhile). */
interface PendingInform { at: number; acks: Array<{ bytes: Buffer; socket: dgram.Socket; port: number; address: string }> }

const MAX_ACKS_PER_INFORM = 16;

/** A pending inform older than this was never stored nor dead-lettered (its answer is lost with it): forget it. */
const PENDING_INFORM_TTL_MS = 10 * 60_000;

/**
 * Datagrams → TrapDecoder → raw envelopes → the receiver's BatchingProducer (the syslog path's
 * byte bounds, partitioning by source address and idempotent producer). Nothing here throws on
 * input: every refused packet is counted (haetae_errors_total{stage="snmp",error_type}) and
 * logged at a bounded cadence. Informs are answered only once Kafka acknowledged their envelope;
 * a retransmission of an inform still waiting is not enqueued again, only answered with it.
 */
export class TrapPath {
  private readonly refusals: RefusalLog;
  private readonly pendingInforms = new Map<string, PendingInform>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly decoder: TrapDecoder,
    private readonly batching: BatchingProducer,
    private readonly deliveries: DeliveryNotices,
    private readonly opts: TrapPathOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.refusals = new RefusalLog(log);
    this.sweep = setInterval(() => {
      const old = Date.now() - PENDING_INFORM_TTL_MS;
      for (const [k, p] of this.pendingInforms) if (p.at < old) this.pendingInforms.delete(k);
    }, 60_000).unref();
  }

  async bind(spec: TrapListenerSpec): Promise<BoundTrapListener> {
    const type = isIP(spec.host) === 6 ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, reuseAddr: false, recvBufferSize: this.opts.udpReceiveBufferBytes });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(spec.port, spec.host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => {
          this.metrics.errors.inc({ stage: 'snmp', error_type: (err as NodeJS.ErrnoException).code ?? 'socket_error' });
          this.log.warn({ listener: `udp/${spec.host}:${spec.port}` }, `SNMP socket error: ${err.message}`);
        });
        const local = socket.address();
        const listener = { address: local.address, port: local.port };
        const name = `${listener.address}:${listener.port}`;
        const granted = socket.getRecvBufferSize();
        if (granted < this.opts.udpReceiveBufferBytes) {
          this.log.warn({ listener: `udp/${name}`, granted, wanted: this.opts.udpReceiveBufferBytes }, `The kernel granted the SNMP socket a receive buffer of ${granted} bytes (asked for ${this.opts.udpReceiveBufferBytes}); trap bursts beyond it are dropped by the kernel and counted in haetae_udp_kernel_drops. Raise net.core.rmem_max to allow more.`);
        }
        socket.on('message', (packet, rinfo) => {
          try {
            this.handle(packet, rinfo, socket, listener, name);
          } catch (err) {
            // A bug must cost one packet, not the listener.
            this.metrics.errors.inc({ stage: 'snmp', error_type: 'internal' });
            this.refusals.refused(rinfo.address, name, 'internal', (err as Error).message);
          }
        });
        resolve({ spec, address: listener, close: () => new Promise((r) => socket.close(() => r())) });
      });
    });
  }

  stop(): void {
    clearInterval(this.sweep);
    this.pendingInforms.clear();
  }

  /** On shutdown: stop taking packets (informs go unanswered and are retried), keep the sockets for the answers of those in flight. */
  quiesce(): void {
    this.closing = true;
  }

  private closing = false;
  /** Discovery replies and Reports go to a claimed source address: limited per source (reply-limit.ts). */
  private readonly replies = new ReplyLimiter();

  /** Sends an unsolicited answer (discovery reply, Report) unless its source is over its budget. */
  private answer(reply: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket): void {
    if (!this.replies.allow(normalizeAddress(rinfo.address))) {
      this.metrics.dropped.inc({ stage: 'snmp', reason: 'reply_rate_limited' });
      return;
    }
    socket.send(reply, rinfo.port, rinfo.address);
  }

  private handle(packet: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket, listener: { address: string; port: number }, name: string): void {
    this.metrics.received.inc({ stage: 'snmp', transport: 'udp' });
    if (this.closing) {
      this.metrics.dropped.inc({ stage: 'snmp', reason: 'shutdown' });
      return;
    }
    if (this.batching.pending >= 2 * this.opts.maxPendingMessages || this.batching.pendingBytes >= 2 * this.opts.maxPendingBytes) {
      // Unanswered, an inform is sent again by its sender; a trap is lost, and counted.
      this.metrics.dropped.inc({ stage: 'snmp', reason: 'overload' });
      return;
    }
    const outcome = this.decoder.decode(packet, rinfo);
    if (outcome.kind === 'discovery') {
      this.answer(outcome.reply, rinfo, socket);
      return;
    }
    if (outcome.kind === 'refused') {
      this.metrics.errors.inc({ stage: 'snmp', error_type: outcome.reason });
      this.refusals.refused(rinfo.address, name, outcome.reason, outcome.detail);
      if (outcome.reply) this.answer(outcome.reply, rinfo, socket);
      return;
    }
    const source = normalizeAddress(rinfo.address);
    const ack = outcome.ack ? { bytes: outcome.ack, socket, port: rinfo.port, address: rinfo.address } : null;
    let informKey: string | null = null;
    if (ack) {
      informKey = `${source}|${rinfo.port}|${outcome.header.version}|${outcome.pdu.id}`;
      const waiting = this.pendingInforms.get(informKey);
      if (waiting) {
        // Bounded: a sender retries a handful of times; more copies only get the last answers.
        if (waiting.acks.length < MAX_ACKS_PER_INFORM) waiting.acks.push(ack);
        return;
      }
    }
    let envelope;
    try {
      envelope = buildSnmpEnvelope(packet, outcome.header, outcome.pdu, { source: { address: rinfo.address, port: rinfo.port }, listener, observerHostname: this.opts.observerHostname, receivedAt: new Date(), id: this.opts.ids.next() });
    } catch (err) {
      if (!(err instanceof UnsupportedVarbind)) throw err;
      this.metrics.errors.inc({ stage: 'snmp', error_type: 'unsupported_type' });
      this.refusals.refused(rinfo.address, name, 'unsupported_type', err.message);
      return;
    }
    const message: Message = { key: source, value: encodeEnvelope(envelope) };
    if (ack && informKey) {
      const key = informKey;
      const entry: PendingInform = { at: Date.now(), acks: [ack] };
      this.pendingInforms.set(key, entry);
      this.deliveries.track(message, () => {
        if (this.pendingInforms.get(key) === entry) this.pendingInforms.delete(key);
        for (const a of entry.acks) {
          try {
            a.socket.send(a.bytes, a.port, a.address, () => undefined);
          } catch {
            // The socket closed on shutdown after all: the sender retries (to whoever listens next).
          }
        }
      });
    }
    this.batching.enqueue(message);
  }
}
