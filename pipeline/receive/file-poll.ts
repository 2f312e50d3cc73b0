import fs from 'node:fs';

/**
 * Calls `onChange` when any of `paths` changes, by polling its stat (size, mtime, inode): unlike
 * fs.watch this follows a file replaced by rename (editors, secret managers, certbot,
 * cert-manager, `mv`) and symlinks swapped (Kubernetes secrets). With `settleMs`, changes are
 * settled for that long first, so files written one after the other (a certificate and its key)
 * are taken together.
 */
export function pollFiles(paths: readonly string[], intervalMs: number, onChange: () => void, settleMs = 0): { stop(): void } {
  const unique = [...new Set(paths)];
  let timer: NodeJS.Timeout | undefined;
  const changed = (cur: fs.Stats, prev: fs.Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    if (settleMs <= 0) return onChange();
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = undefined; onChange(); }, settleMs);
    timer.unref();
  };
  for (const p of unique) fs.watchFile(p, { interval: intervalMs, persistent: false }, changed);
  return {
    stop() {
      if (timer) clearTimeout(timer);
      for (const p of unique) fs.unwatchFile(p, changed);
    },
  };
}
