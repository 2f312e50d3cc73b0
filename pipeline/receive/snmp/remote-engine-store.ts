import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../telemetry/logger';
import type { Learned, RemoteEngineTimes } from './time-window';

const FILE = 'snmp-remote-engines.json';

/**
 * Keeps what the trap receiver learned of remote SNMPv3 engines (boots and time, for the USM
 * time-window check of traps) in `<stateDir>/snmp-remote-engines.json` across restarts: read at
 * start, written (atomically) every few seconds when something changed and at shutdown. Without
 * it, a captured authPriv trap replayed right after a restart would be accepted as the "first"
 * trap from its engine. Bounded like the in-memory table (snmp.engineCacheSize entries).
 */
export class RemoteEngineStore {
  private timer: NodeJS.Timeout | null = null;
  private readonly file: string;

  constructor(stateDir: string, private readonly times: RemoteEngineTimes, private readonly log: Logger, private readonly intervalMs = 5_000) {
    this.file = path.join(stateDir, FILE);
  }

  /** Restores the saved state (returns how many engines the table now holds); a file that cannot be read is set aside (renamed) and reported, never fatal. */
  load(): number {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      this.log.warn({ file: this.file }, `Cannot read the learned SNMPv3 engine times in ${this.file} (${(err as Error).message}); starting without them: the first trap from each engine is accepted and learned.`);
      return 0;
    }
    let entries: Array<[string, Learned]>;
    let skipped = 0;
    try {
      const parsed = JSON.parse(text) as { v?: unknown; engines?: unknown };
      if (parsed.v !== 1 || !Array.isArray(parsed.engines)) throw new Error('not a version 1 state file');
      entries = [];
      for (const e of parsed.engines as unknown[]) {
        const ok = Array.isArray(e) && e.length === 5 && typeof e[0] === 'string' && /^([0-9a-f]{2}){5,32}$/.test(e[0]) && e.slice(1).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
        if (!ok) { skipped++; continue; }
        const [id, boots, time, at, latest] = e as [string, number, number, number, number];
        entries.push([id, { boots, time, at, latest }]);
      }
    } catch (err) {
      const aside = `${this.file}.unreadable-${Date.now()}`;
      try { fs.renameSync(this.file, aside); } catch { /* left in place; overwritten at the next save */ }
      this.log.warn({ file: this.file, keptAs: aside }, `The learned SNMPv3 engine times in ${this.file} are not valid (${(err as Error).message}); kept the file as ${aside} and starting without them: the first trap from each engine is accepted and learned.`);
      return 0;
    }
    if (skipped > 0) this.log.warn({ file: this.file, skipped }, `Skipped ${skipped} malformed entries in ${this.file}.`);
    this.times.restore(entries);
    this.times.dirty = false;
    return this.times.size;
  }

  start(): void {
    this.timer ??= setInterval(() => { if (this.times.dirty) this.save(); }, this.intervalMs).unref();
  }

  save(): void {
    const engines = this.times.snapshot().map(([id, l]) => [id, l.boots, l.time, l.at, l.latest]);
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify({ v: 1, engines }), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (err) {
      this.times.dirty = true; // try again at the next tick
      this.log.warn({ file: this.file }, `Cannot save the learned SNMPv3 engine times to ${this.file} (${(err as Error).message}); retrying in ${this.intervalMs / 1000} s.`);
    }
  }

  /** Stops the timer and saves once more when something changed. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.times.dirty) this.save();
  }
}
