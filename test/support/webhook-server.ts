import http from 'node:http';
import { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from '../../pipeline/notify/sign';

export interface Delivery {
  body: string;
  json: any;
  delivery: string;
  signatureValid: boolean;
  headers: http.IncomingHttpHeaders;
}

export interface WebhookServerOptions {
  /** Answer each request this late (a slow receiver: deliveries stay in flight). */
  delayMs?: number;
  /** The status for a request, asked when no scripted status is left (default 200). */
  status?: () => number;
}

/**
 * A real HTTP endpoint on loopback that records every POST, checks its signature, and answers
 * with the statuses a test scripts (e.g. 500 twice, then 200), or `opts.status()` (e.g. 500 for a
 * minute). `requests` keeps every request (arrival time, delivery id, the status it got).
 */
export async function startWebhookServer(secret: string, statuses: number[] = [], opts: WebhookServerOptions = {}): Promise<{
  url: string;
  deliveries: Delivery[];
  requests: Array<{ at: number; delivery: string; status: number }>;
  attempts: number;
  /** Requests received and not answered yet. */
  inFlight: number;
  close(): Promise<void>;
}> {
  const deliveries: Delivery[] = [];
  const requests: Array<{ at: number; delivery: string; status: number }> = [];
  const state = { attempts: 0, inFlight: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      state.attempts++;
      state.inFlight++;
      const answer = (): void => {
        state.inFlight--;
        const status = statuses.shift() ?? opts.status?.() ?? 200;
        requests.push({ at, delivery: String(req.headers[DELIVERY_HEADER]), status });
        if (status >= 200 && status < 300) {
          const body = Buffer.concat(chunks).toString('utf8');
          deliveries.push({
            body,
            json: JSON.parse(body),
            delivery: String(req.headers[DELIVERY_HEADER]),
            signatureValid: verifySignature(secret, String(req.headers[TIMESTAMP_HEADER]), body, String(req.headers[SIGNATURE_HEADER])),
            headers: req.headers,
          });
        }
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'scripted failure' : 'ok');
      };
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    requests,
    get attempts() { return state.attempts; },
    get inFlight() { return state.inFlight; },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
