import { Client } from '@elastic/elasticsearch';

export interface EsSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  requestTimeoutMs: number;
}

export function createEsClient(s: EsSettings): Client {
  return new Client({
    node: s.url,
    requestTimeout: s.requestTimeoutMs,
    // Our bulk writer retries with its own backoff and per-item classification; transport-level
    // retries on top would re-send whole bulk bodies blindly.
    maxRetries: 0,
    ...(s.apiKey ? { auth: { apiKey: s.apiKey } } : s.username ? { auth: { username: s.username, password: s.password ?? '' } } : {}),
  });
}

/**
 * Cluster health is the readiness probe: `GET /` answers 405 on the integ-test distribution our
 * local stack runs, so `client.info()`/`ping()` cannot be used (docs/stack.md).
 */
export async function waitForHealth(client: Client, timeoutMs: number): Promise<void> {
  await client.cluster.health({ wait_for_status: 'yellow', timeout: `${Math.max(1, Math.round(timeoutMs / 1000))}s` });
}
