/**
 * The worker's MIBs for naming trap OIDs and rendering their values: the base MIBs net-snmp ships
 * plus the directories of `snmp.mibs` (relative to the config file), loaded at start and reloaded
 * when a file there changes — each load builds a new store and the worker swaps its reference, so
 * a trap in flight is named by one complete store. Problems are logged, never fatal: a MIB that
 * does not load leaves its OIDs numeric (counted in snmp.unresolved).
 */
import path from 'node:path';
import type { LoadedConfig } from '../../config/load';
import type { Logger } from '../../telemetry/logger';
import type { TrapMibs } from '../../normalize/snmp';
import { loadMibs, type MibLoadOptions } from '../../snmp/mib/load';
import type { MibStore } from '../../snmp/mib/store';
import { watchMibs } from '../../snmp/mib/watch';
import { trapMibs } from '../../snmp/trap-mibs';
import { messageOf } from '../../errors/catalog';

export interface WorkerMibs {
  current(): TrapMibs;
  close(): void;
}

export function startWorkerMibs(loaded: LoadedConfig, logger: Logger): WorkerMibs {
  const log = logger.child({ component: 'mibs' });
  const opts: MibLoadOptions = { dirs: (loaded.config.snmp?.mibs ?? []).map((d) => path.resolve(loaded.baseDir, d)) };
  const describe = (store: MibStore, what: string): void => {
    const r = store.report;
    const failed = r.modules.filter((m) => m.status === 'failed');
    const partial = r.modules.filter((m) => m.status === 'partial');
    log.info({ loaded: r.loaded, total: r.total, parseMs: r.parseMs, dirs: opts.dirs }, `${what} ${r.loaded} of ${r.total} MIB modules in ${r.parseMs} ms.`);
    if (failed.length + partial.length > 0) {
      log.warn({ failed: failed.map((m) => m.file), partial: partial.map((m) => m.module) }, `${failed.length} MIB files failed to load and ${partial.length} modules loaded partly; their OIDs stay numeric. See \`haetae mib check\`.`);
    }
  };
  let current: TrapMibs;
  try {
    const store = loadMibs(opts);
    describe(store, 'Loaded');
    current = trapMibs(store);
  } catch (err) {
    // An unreadable MIB directory must not stop the worker: traps are still indexed, numerically.
    log.error(`Loading the MIBs failed (${messageOf(err)}); trap OIDs stay numeric until a MIB directory loads.`);
    current = trapMibs(loadMibs({ dirs: [] }));
  }
  const watcher = opts.dirs.length > 0
    ? watchMibs(opts, (store) => { describe(store, 'Reloaded'); current = trapMibs(store); }, (err) => log.error(`Reloading the MIBs failed (${messageOf(err)}); the previous MIBs stay.`))
    : null;
  return {
    current: () => current,
    close: () => watcher?.close(),
  };
}
