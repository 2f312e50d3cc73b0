/**
 * The worker's vendor decoders: the decoder files under `worker.decodersPath` (relative to the
 * config file; the shipped `decoders/` by default), loaded at start and reloaded when a file there
 * changes. Each load builds a new decoder set and the worker swaps its reference, so a batch is
 * decoded by one complete set. A file that does not load is logged with file:line:col and counted;
 * the other files load, and a file that loaded before keeps its last good decoders.
 */
import path from 'node:path';
import type { LoadedConfig } from '../../config/load';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { createDecoderSet, formatDecoderProblem, loadDecoders, watchDecoderPaths, type Decoder, type DecoderSet } from '../../decoders';
import { messageOf } from '../../errors/catalog';

export interface WorkerDecoders {
  current(): DecoderSet;
  close(): void;
}

export function startWorkerDecoders(loaded: LoadedConfig, logger: Logger, metrics: Metrics): WorkerDecoders {
  const log = logger.child({ component: 'decoders' });
  const paths = loaded.config.worker.decodersPath.map((p) => path.resolve(loaded.baseDir, p));
  let lastGood = new Map<string, Decoder[]>();
  const load = (initial: boolean): DecoderSet => {
    const result = loadDecoders(paths);
    const byFile = new Map<string, Decoder[]>();
    for (const d of result.decoders) if (d.file) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    const broken = new Set(result.problems.map((p) => p.file));
    for (const p of result.problems) {
      metrics.errors.inc({ stage: 'decoders', error_type: p.code });
      log.error({ code: p.code, file: p.file, line: p.line, column: p.column }, `Decoder ${initial ? 'rejected' : 'change rejected'}${!initial && lastGood.has(p.file) ? ', its last good version keeps running' : ''}: ${formatDecoderProblem(p)}`);
    }
    // A file refused now that loaded before keeps its last good decoders (unless it is gone).
    for (const file of broken) {
      const previous = lastGood.get(file);
      if (previous && !byFile.has(file) && result.files.includes(file)) byFile.set(file, previous);
    }
    lastGood = byFile;
    const decoders = [...byFile.values()].flat();
    log.info({ decoders: decoders.length, files: result.files.length, rejectedFiles: broken.size }, `${initial ? 'Loaded' : 'Reloaded'} ${decoders.length} decoders from ${result.files.length} files.`);
    return createDecoderSet(decoders);
  };
  let current: DecoderSet;
  try {
    current = load(true);
  } catch (err) {
    // An unreadable decoder directory must not stop the worker: events keep their header fields.
    log.error(`Loading the decoders failed (${messageOf(err)}); events keep their syslog header fields until a decoder directory loads.`);
    current = createDecoderSet([]);
  }
  const watcher = watchDecoderPaths(paths, () => {
    try {
      current = load(false);
    } catch (err) {
      log.error(`Reloading the decoders failed (${messageOf(err)}); the previous decoders stay.`);
    }
  });
  return { current: () => current, close: () => watcher.close() };
}
