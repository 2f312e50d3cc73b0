import path from 'node:path';
import crypto from 'node:crypto';
import type { LoadedConfig } from '../config/load';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import type { BatchingProducer } from '../../connectors/kafka/batching-producer';
import { EnvelopeIds } from '../envelope/envelope-id';
import { HaetaeError, messageOf } from '../errors/catalog';
import { SnmpAccess, type CommunityConfig, type UserConfig } from '../receive/snmp/access';
import { loadEngineState } from '../receive/snmp/engine-state';
import { TrapDecoder } from '../receive/snmp/decoder';
import { RemoteEngineStore } from '../receive/snmp/remote-engine-store';
import { RemoteEngineTimes } from '../receive/snmp/time-window';
import type { DeliveryNotices } from '../receive/snmp/delivery';
import { TrapPath, type BoundTrapListener } from '../receive/snmp/listeners';

export interface RunningTrapReceiver {
  listeners: BoundTrapListener[];
  engineId: string;
  /** Stop taking packets; answers to informs already in flight still go out. */
  quiesce(): void;
  close(): Promise<void>;
}

/**
 * The SNMP trap listener of the receiver role (config section `snmp`): resolves communities and
 * USM users (keys from files), loads or creates the local engine id and bumps its boots, and binds
 * the UDP sockets, all before the role reports ready. Traps go through `batching`, the syslog
 * path's producer; `deliveries` must observe that producer's sends (informs are answered on it).
 */
export async function startTrapReceiver(loaded: LoadedConfig, batching: BatchingProducer, deliveries: DeliveryNotices, log: Logger, metrics: Metrics, observerHostname: string): Promise<RunningTrapReceiver | null> {
  const cfg = loaded.config.snmp;
  if (!cfg || cfg.listeners.length === 0) return null;
  const where = loaded.file ?? '(defaults)';
  let access: SnmpAccess;
  try {
    access = new SnmpAccess(cfg.communities as ReadonlyArray<string | CommunityConfig>, cfg.users as readonly UserConfig[], loaded.baseDir);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, messageOf(err)]);
  }
  checkCiphers(access, where);
  const stateDir = path.resolve(loaded.baseDir, cfg.stateDir);
  let engine;
  try {
    engine = loadEngineState(stateDir, cfg.engineId);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `/snmp/stateDir: ${messageOf(err)}`]);
  }
  const engineId = engine.engineId.toString('hex');
  // What earlier runs learned of remote engines' boots and time, so replays stay refused across restarts.
  const remote = new RemoteEngineTimes(cfg.engineCacheSize);
  const remoteStore = new RemoteEngineStore(stateDir, remote, log.child({ component: 'snmp' }));
  const restored = remoteStore.load();
  const decoder = new TrapDecoder(engine, access, cfg.engineCacheSize, remote);
  const r = loaded.config.receiver;
  const trapPath = new TrapPath(decoder, batching, deliveries, {
    observerHostname,
    ids: new EnvelopeIds(),
    maxPendingMessages: r.maxPendingMessages,
    maxPendingBytes: r.maxPendingBytes,
    udpReceiveBufferBytes: r.udpReceiveBufferBytes,
  }, log.child({ component: 'snmp' }), metrics);
  const listeners: BoundTrapListener[] = [];
  try {
    for (const spec of cfg.listeners) {
      const bound = await trapPath.bind({ host: spec.host ?? '0.0.0.0', port: spec.port });
      listeners.push(bound);
      log.info({ transport: 'udp', address: bound.address.address, port: bound.address.port, engineId, engineBoots: engine.boots }, `Listening for SNMP traps and informs on UDP ${bound.address.address}:${bound.address.port} (engine id ${engineId}, boots ${engine.boots}; ${access.communities.length} communities, ${access.users.length} USM users).`);
    }
  } catch (err) {
    trapPath.stop();
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  remoteStore.start();
  if (restored > 0) log.info({ engines: restored }, `Restored the boots and time of ${restored} remote SNMPv3 engines from ${stateDir}.`);
  return {
    listeners,
    engineId,
    quiesce: () => trapPath.quiesce(),
    async close() {
      trapPath.stop();
      await Promise.all(listeners.map((l) => l.close()));
      remoteStore.stop();
    },
  };
}

/**
 * Node 17+ links OpenSSL 3, which keeps single DES in its legacy provider, unloaded by default:
 * net-snmp's DES would fail on every packet (counted as decryption_failed). Say so at start-up.
 */
function checkCiphers(access: SnmpAccess, where: string): void {
  const des = access.users.findIndex((u) => u.level === 'authPriv' && u.privProtocol === 'des');
  if (des < 0) return;
  try {
    crypto.createDecipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `/snmp/users/${des}/privProtocol: DES needs OpenSSL's legacy provider, which this Node does not load; start haetae with NODE_OPTIONS=--openssl-legacy-provider, or use aes`]);
  }
}
