import http from 'node:http';
import { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from '../../pipeline/notify/sign';

export interface Delivery {
  body: string;
  json: any;
  delivery: string;
  signatureValid: boolean;
  headers: http.IncomingHttpHeaders;
}

/**
 * A real HTTP endpoint on loopback that records every POST, checks its signature, and answers
 * with the statuses a test scripts (e.g. 500 twice, then 200).
 */
export async function startWebhookServer(secret: string, statuses: number[] = []): Promise<{ url: string; deliveries: Delivery[]; attempts: number; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const state = { attempts: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.attempts++;
      const status = statuses.shift() ?? 200;
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
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    get attempts() { return state.attempts; },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
