import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The local SNMP engine's identity: its engine id and snmpEngineBoots, kept in
 * `<stateDir>/snmp-engine.json`. Informs are sent to us as the authoritative engine: senders
 * localize their keys with our engine id (so it must not change across restarts, or every
 * sender's cached keys break), and the time window is anchored on (boots, seconds since start),
 * so boots must grow at every start (RFC 3414 §2.2.2), or a captured inform could be replayed
 * after a restart.
 */
export interface EngineState {
  engineId: Buffer;
  boots: number;
  /** Seconds since this engine started (snmpEngineTime). */
  time(): number;
}

const FILE = 'snmp-engine.json';
const MAX_BOOTS = 2147483647;

/**
 * Reads the state file (if any), increments boots, writes it back atomically. A configured engine
 * id wins; when it differs from the stored one, boots start again at 1 (boots belong to an id).
 * Without one, the stored id is kept, or an RFC 3411 enterprise-format id is generated:
 * 0x80 | net-snmp's enterprise number 8072 | format 5 (octets) | 12 random bytes.
 */
export function loadEngineState(stateDir: string, configured: string | undefined, now: () => number = Date.now): EngineState {
  const file = path.join(stateDir, FILE);
  let stored: { engineId?: string; boots?: number } = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  const want = configured?.replace(/^0x/i, '').toLowerCase();
  const storedId = typeof stored.engineId === 'string' && /^([0-9a-f]{2}){5,32}$/.test(stored.engineId) ? stored.engineId : undefined;
  const engineHex = want ?? storedId ?? Buffer.concat([Buffer.from('80001f8805', 'hex'), randomBytes(12)]).toString('hex');
  const previous = engineHex === storedId && Number.isInteger(stored.boots) ? stored.boots! : 0;
  const boots = Math.min(previous + 1, MAX_BOOTS);
  fs.mkdirSync(stateDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ engineId: engineHex, boots }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  const started = now();
  return { engineId: Buffer.from(engineHex, 'hex'), boots, time: () => Math.floor((now() - started) / 1000) };
}
