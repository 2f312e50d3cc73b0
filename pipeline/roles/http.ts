import http from 'node:http';
import type { Metrics } from '../telemetry/metrics';
import type { ReadinessReport } from './readiness';

/**
 * /metrics (Prometheus text), /healthz (the process is alive), /readyz (every role of this process
 * has started and can make progress: 503 with each role's state and, for those that are not
 * ready, the reason — the step it is starting or the service it cannot get through to) and /rules (the
 * worker's live rule set version and the rule files whose latest change was refused, with why).
 */
export async function startHttp(
  host: string,
  port: number,
  metrics: Metrics,
  readiness: () => ReadinessReport,
  rules: () => unknown = () => null,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url === '/readyz') {
      const { ready, roles } = readiness();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'not ready', roles }));
      return;
    }
    if (url === '/rules') {
      const state = rules();
      res.writeHead(state === null ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(state ?? { error: 'no worker in this process' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /readyz or /rules\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const bound = (server.address() as { port: number }).port;
  return { port: bound, close: () => new Promise((r) => server.close(() => r())) };
}
