import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import { netSnmp, type NetSnmpMessage, type NetSnmpPdu, type NetSnmpReceiver } from './net-snmp-api';
import { readHeader, type SnmpHeader } from './ber-header';
import { RemoteEngineTimes, authoritativeCheck } from './time-window';
import type { EngineState } from './engine-state';
import type { SnmpAccess } from './access';

/** Why a packet was refused: the error_type of haetae_errors_total{stage="snmp"}. A fixed set. */
export type RefusalReason =
  | 'malformed'
  | 'wrong_community'
  | 'unknown_user'
  | 'wrong_digest'
  | 'decryption_failed'
  | 'unsupported_security_level'
  | 'not_in_time_window'
  | 'unknown_engine_id'
  | 'source_not_allowed'
  | 'unsupported_pdu'
  | 'unsupported_type'
  | 'too_many_varbinds';

export type Outcome =
  /** A trap or inform that passed every check. `ack`: the Response to send an inform's sender once its envelope is in Kafka. */
  | { kind: 'accepted'; header: SnmpHeader; pdu: NetSnmpPdu; ack?: Buffer }
  /** Refused; `reply` (a USM report) goes back at once when the sender asked for one. */
  | { kind: 'refused'; reason: RefusalReason; detail: string; reply?: Buffer }
  /** SNMPv3 engine-id discovery, answered with a report carrying our engine id, boots and time. */
  | { kind: 'discovery'; reply: Buffer };

const USM_ERROR = { notInTimeWindow: '2', unknownEngineId: '4' } as const;
const REPORT_REASONS: Record<string, RefusalReason> = { '1': 'unsupported_security_level', '2': 'not_in_time_window', '3': 'unknown_user', '4': 'unknown_engine_id', '5': 'wrong_digest', '6': 'decryption_failed' };
const MAX_VARBINDS = 1024;
const { PduType } = netSnmp;

/**
 * One packet in, one outcome out, synchronously. net-snmp's Receiver does the BER decoding, the
 * community and USM user lookup, the HMAC check and the decryption; it is driven here without its
 * own sockets (`onMsg` is called with each datagram our sockets read), and its two outputs are
 * captured instead of acted on: the callback (data or error) and `listener.send` (a discovery
 * report, or the Response to an inform, which net-snmp would send before anyone saw the inform —
 * here it is held until Kafka has the envelope). Around it this adds what net-snmp leaves out
 * (docs/decisions/0004-snmp-receiver.md): the USM time window, the engine-id check on informs,
 * per-source access, and refusing v3 messages from no configured user.
 */
export class TrapDecoder {
  private readonly receiver: NetSnmpReceiver;
  private readonly remote: RemoteEngineTimes;
  private readonly localEngineHex: string;
  private current: { error: (Error & { code?: number }) | null; pdu: NetSnmpPdu | null; sends: Array<{ message: NetSnmpMessage; bytes: Buffer }> } | null = null;
  private readonly users = new Set<string>();

  constructor(private readonly engine: EngineState, private readonly access: SnmpAccess, engineCacheSize: number, remote?: RemoteEngineTimes) {
    this.localEngineHex = engine.engineId.toString('hex');
    this.remote = remote ?? new RemoteEngineTimes(engineCacheSize);
    // net-snmp binds the sockets it is given at once; it gets inert ones, ours do the I/O.
    const inert = { createSocket: () => Object.assign(new EventEmitter(), { bind() {}, close(cb?: () => void) { cb?.(); }, address: () => ({}), send() {} }) };
    this.receiver = netSnmp.createReceiver(
      { sockets: [{ transport: 'udp4', address: '127.0.0.1', port: 1 }], dgramModule: inert, engineID: this.localEngineHex, includeAuthentication: true },
      () => undefined,
    );
    this.receiver.callback = (error, data) => {
      if (!this.current) return;
      if (error) this.current.error ??= error;
      else if (data) this.current.pdu = data.pdu;
    };
    this.receiver.listener.send = (message) => {
      // Encode now: net-snmp turns the inform's Response back into the inform right after.
      this.current?.sends.push({ message, bytes: Buffer.from(message.toBuffer()) });
    };
    // Discovery reports carry our real boots and time (net-snmp would say 0 and 10 forever).
    const e = this.receiver.engine;
    e.engineBoots = engine.boots;
    Object.defineProperty(e, 'engineTime', { get: () => engine.time(), configurable: true });
    const auth = this.receiver.getAuthorizer();
    for (const c of access.communities) auth.addCommunity(c);
    for (const u of access.users) {
      this.users.add(u.name);
      auth.addUser({
        name: u.name,
        level: netSnmp.SecurityLevel[u.level],
        ...(u.authKey ? { authProtocol: netSnmp.AuthProtocols[u.authProtocol], authKey: u.authKey } : {}),
        ...(u.privKey ? { privProtocol: netSnmp.PrivProtocols[u.privProtocol], privKey: u.privKey } : {}),
      });
    }
  }

  get remoteEngines(): number { return this.remote.size; }

  decode(packet: Buffer, rinfo: RemoteInfo): Outcome {
    const state: NonNullable<TrapDecoder['current']> = { error: null, pdu: null, sends: [] };
    this.current = state;
    try {
      this.receiver.onMsg(null, packet, rinfo);
    } catch (err) {
      state.error ??= err as Error;
    } finally {
      this.current = null;
    }
    const report = state.sends.find((s) => s.message.pdu.type === PduType.Report);
    if (report) {
      const code = reportCode(report.message);
      if (code === '4') return { kind: 'discovery', reply: report.bytes };
      return { kind: 'refused', reason: REPORT_REASONS[code ?? ''] ?? 'malformed', detail: 'refused with a USM report', reply: report.bytes };
    }
    if (state.error || !state.pdu) return { kind: 'refused', ...classify(state.error) };
    const pdu = state.pdu;
    const community = pdu.community;
    delete pdu.community; // never past this point
    const header = readHeader(packet);
    if (!header) return { kind: 'refused', reason: 'malformed', detail: 'unreadable message header' };
    if (pdu.varbinds.length > MAX_VARBINDS) return { kind: 'refused', reason: 'too_many_varbinds', detail: `${pdu.varbinds.length} varbinds (at most ${MAX_VARBINDS})` };
    const ackSend = pdu.type === PduType.InformRequest ? state.sends.find((s) => s.message.pdu.type === PduType.InformRequest || s.message.pdu.type === PduType.GetResponse) : undefined;

    if (header.version !== 3) {
      if (community === undefined || !this.access.communityAllowedFrom(community, rinfo.address)) {
        return { kind: 'refused', reason: 'source_not_allowed', detail: 'community not accepted from this source' };
      }
    } else {
      const v3 = header.v3!;
      const user = pdu.user ?? '';
      delete pdu.user;
      // net-snmp takes an unauthenticated message with an empty user name as from "no user".
      if (!this.users.has(user)) return { kind: 'refused', reason: 'unknown_user', detail: 'no such USM user' };
      if (!this.access.userAllowedFrom(user, rinfo.address)) return { kind: 'refused', reason: 'source_not_allowed', detail: `user ${user} not accepted from this source` };
      const authenticated = (v3.flags & 1) === 1;
      if (pdu.type === PduType.InformRequest) {
        // We are the authoritative engine for informs (RFC 3414 §3.2 step 3 and 7a).
        if (v3.engineId.toString('hex') !== this.localEngineHex) {
          return { kind: 'refused', reason: 'unknown_engine_id', detail: `inform for engine ${v3.engineId.toString('hex')}, not ours`, ...this.reportFor(ackSend?.message, USM_ERROR.unknownEngineId, false) };
        }
        if (authenticated && authoritativeCheck({ boots: this.engine.boots, time: this.engine.time() }, v3.engineBoots, v3.engineTime) !== 'ok') {
          return { kind: 'refused', reason: 'not_in_time_window', detail: `inform at boots ${v3.engineBoots} time ${v3.engineTime}; ours ${this.engine.boots}/${this.engine.time()}`, ...this.reportFor(ackSend?.message, USM_ERROR.notInTimeWindow, true) };
        }
      } else if (authenticated && this.remote.check(v3.engineId.toString('hex'), v3.engineBoots, v3.engineTime) !== 'ok') {
        return { kind: 'refused', reason: 'not_in_time_window', detail: `trap from engine ${v3.engineId.toString('hex')} at boots ${v3.engineBoots} time ${v3.engineTime}, older than it has sent` };
      }
      pdu.user = user;
    }
    if (pdu.type !== PduType.Trap && pdu.type !== PduType.TrapV2 && pdu.type !== PduType.InformRequest) {
      return { kind: 'refused', reason: 'unsupported_pdu', detail: `PDU type ${pdu.type}` };
    }
    return { kind: 'accepted', header, pdu, ...(ackSend ? { ack: ackSend.bytes } : {}) };
  }

  /**
   * A USM report for a refused inform. notInTimeWindow goes authenticated (RFC 3414 §3.1.1 step
   * 3b, with the inform's user), so the sender trusts our boots and time and resynchronises.
   */
  private reportFor(message: NetSnmpMessage | undefined, errorType: string, authenticated: boolean): { reply?: Buffer } {
    if (!message) return {};
    try {
      const report = message.createReportResponseMessage(this.receiver.engine, '', errorType);
      report.setReportable(false);
      if (authenticated && message.user) {
        report.user = { name: message.user.name, level: netSnmp.SecurityLevel.authNoPriv!, authProtocol: message.user.authProtocol!, authKey: message.user.authKey! };
        report.msgSecurityParameters!.msgUserName = message.user.name;
        report.setAuthentication(true);
      }
      report.buffer = null;
      return { reply: Buffer.from(report.toBuffer()) };
    } catch {
      return {};
    }
  }
}

function reportCode(message: NetSnmpMessage): string | undefined {
  const oid = (message.pdu.varbinds?.[0] as { oid?: string } | undefined)?.oid ?? '';
  return /^1\.3\.6\.1\.6\.3\.15\.1\.1\.(\d)\.0$/.exec(oid)?.[1];
}

function classify(error: (Error & { code?: number }) | null): { reason: RefusalReason; detail: string } {
  if (!error) return { reason: 'malformed', detail: 'no PDU decoded' };
  const text = error.message ?? '';
  if (error.name === 'ProcessingError') {
    const inner = (error as { error?: Error }).error;
    if (inner && /Unknown type/.test(inner.message)) return { reason: 'unsupported_type', detail: inner.message };
    return { reason: 'malformed', detail: `malformed BER: ${inner?.message ?? text}`.slice(0, 200) };
  }
  if (error.name === 'ResponseInvalidError') {
    if (error.code === netSnmp.ResponseInvalidCode.EAuthFailure) return { reason: 'wrong_digest', detail: 'authentication digest does not match' };
    if (error.code === netSnmp.ResponseInvalidCode.ECouldNotDecrypt) return { reason: 'decryption_failed', detail: 'could not decrypt the scoped PDU' };
    return { reason: 'malformed', detail: text.slice(0, 200) };
  }
  // Messages name only the user (never a community or key); kept out of logs all the same.
  if (/Local community not found/.test(text)) return { reason: 'wrong_community', detail: 'community not accepted' };
  if (/Local user not found/.test(text)) return { reason: 'unknown_user', detail: 'no such USM user' };
  if (/requires (authentication|privacy)/.test(text)) return { reason: 'unsupported_security_level', detail: 'below the user\'s security level' };
  if (/PDU type|GetRequest/.test(text)) return { reason: 'unsupported_pdu', detail: text.replace(/ \(.*\)$/, '').slice(0, 200) };
  return { reason: 'malformed', detail: text.slice(0, 200) };
}
