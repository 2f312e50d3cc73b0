import { watchRulePaths } from '../../detect/watch';
import { loadMibs, type MibLoadOptions } from './load';
import type { MibStore } from './store';

/**
 * Rebuilds the MIB store when a file under the MIB directories changes (same debounced,
 * per-directory inotify watcher as the rules). `onStore` receives each new store; the caller swaps
 * its reference, so lookups in flight keep using the old, complete store. A load that throws
 * (unreadable directory) goes to `onError` and the previous store stays.
 */
export function watchMibs(opts: MibLoadOptions, onStore: (store: MibStore) => void, onError: (err: unknown) => void, debounceMs = 250): { close(): void } {
  return watchRulePaths(opts.dirs, () => {
    let store: MibStore;
    try {
      store = loadMibs(opts);
    } catch (err) {
      onError(err);
      return;
    }
    onStore(store);
  }, debounceMs);
}
