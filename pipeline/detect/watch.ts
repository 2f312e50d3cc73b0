import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` (debounced) whenever anything under the rule paths changes. Uses one
 * non-recursive fs.watch per directory — inotify on Linux — because Node's recursive mode on
 * Linux has known races (nodejs/node#48437, #52018); after each change the tree is walked again
 * so new subdirectories get a watcher too. Editors that save by rename are covered because the
 * directory, not the file, is watched.
 */
export function watchRulePaths(paths: readonly string[], onChange: () => void, debounceMs = 250): { close(): void } {
  // Paths may include the mapping profiles' directory: a profile change recompiles the rules.
  const watchers = new Map<string, fs.FSWatcher>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (closed) return;
      sync();
      onChange();
    }, debounceMs);
  };

  const sync = (): void => {
    const dirs = new Set<string>();
    for (const p of paths) collectDirs(p, dirs);
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: false }, fire);
        w.on('error', () => { w.close(); watchers.delete(dir); fire(); });
        watchers.set(dir, w);
      } catch {
        // The directory vanished between listing and watching: the parent's watcher fires.
      }
    }
    for (const [dir, w] of watchers) {
      if (!dirs.has(dir)) { w.close(); watchers.delete(dir); }
    }
  };

  sync();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

function collectDirs(p: string, out: Set<string>): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    out.add(path.dirname(p));
    return;
  }
  out.add(p);
  for (const name of fs.readdirSync(p)) {
    if (!name.startsWith('.')) {
      const child = path.join(p, name);
      try {
        if (fs.statSync(child).isDirectory()) collectDirs(child, out);
      } catch {
        // raced with a delete
      }
    }
  }
}
