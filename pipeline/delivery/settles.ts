/** Shutdown deadlines: a close that waits on an unreachable service must not hold the process forever. */

/** Whether `p` settles (either way) within `ms`; never rejects. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    p.then(() => { clearTimeout(timer); resolve(true); }, () => { clearTimeout(timer); resolve(true); });
  });
}
