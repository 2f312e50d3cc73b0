/**
 * Keeps a Kafka consumer in its group while a batch waits on a sink. kafkajs sends heartbeats
 * only when the code asks (eachBatch's `heartbeat()`), and a batch blocked in an Elasticsearch or
 * Redis retry loop asks for nothing: after the session timeout the broker would declare the
 * member dead and hand its partitions to another, and both would then work the same batch. So
 * while `work` runs, `heartbeat` is called every `intervalMs` (kafkajs itself sends at most one
 * per heartbeatInterval). A heartbeat that fails (a rebalance is under way) is reported and the
 * work goes on; the batch's commit then fails, and the new owner replays it idempotently.
 */
export async function whileHeartbeating<T>(
  heartbeat: () => Promise<void>,
  intervalMs: number,
  work: () => Promise<T>,
  onError: (err: unknown) => void = () => undefined,
): Promise<T> {
  let sending = false;
  const timer = setInterval(() => {
    if (sending) return;
    sending = true;
    heartbeat().catch(onError).finally(() => { sending = false; });
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** kafkajs consumer settings from `kafka.sessionTimeoutMs`: heartbeats at a third of it, at most every 3 s. */
export function consumerTimeouts(sessionTimeoutMs: number): { sessionTimeout: number; heartbeatInterval: number } {
  return { sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)) };
}
