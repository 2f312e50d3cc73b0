/**
 * Failpoints let crash tests stop a worker at an exact point of a batch, the way a power cut
 * would: HAETAE_FAILPOINT=after-index (documents written, nothing enqueued or committed) or
 * after-enqueue (jobs enqueued, offsets not committed). The process kills itself with SIGKILL the
 * first time the point is reached, so no shutdown code runs. Unset in normal operation.
 */
export function activeFailpoint(env: NodeJS.ProcessEnv): ((name: string) => void) | undefined {
  const wanted = env.HAETAE_FAILPOINT;
  if (!wanted) return undefined;
  return (name) => {
    if (name === wanted) {
      process.stderr.write(`haetae: failpoint '${name}' reached, killing the process\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
}
