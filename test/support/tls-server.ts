import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A fresh self-signed certificate for CN=localhost, made by the openssl CLI in a temp dir. */
export function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'pipe' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An HTTPS endpoint on loopback with a self-signed certificate, which a client verifying TLS (as
 * the notifier does) must refuse. Counts TCP connections, so a test can tell how often it was tried.
 */
export async function startSelfSignedServer(): Promise<{ url: string; connections: number; requests: number; close(): Promise<void> }> {
  const state = { connections: 0, requests: 0 };
  const server = https.createServer(selfSignedCert(), (_req, res) => { state.requests++; res.end('ok'); });
  server.on('connection', () => { state.connections++; });
  server.on('tlsClientError', () => undefined); // the client's refusal is the expected outcome
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/hook`,
    get connections() { return state.connections; },
    get requests() { return state.requests; },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A loopback port nothing listens on (bound, then released), for a real ECONNREFUSED. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}
