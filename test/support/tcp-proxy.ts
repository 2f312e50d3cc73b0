import net from 'node:net';

/**
 * A loopback TCP proxy in front of a real service, which a test can cut (refuse and reset every
 * connection, as a crashed server would) and restore — an outage without stopping the shared
 * service other tests use.
 */
export async function startTcpProxy(to: string | { host: string; port: number }): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  // A service URL (http://127.0.0.1:9200, redis://…) or its host and port.
  const target = typeof to === 'string' ? { host: new URL(to).hostname, port: Number(new URL(to).port) } : to;
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) { client.resetAndDestroy(); return; }
    const upstream = net.connect(target.port, target.host);
    sockets.add(client); sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop); upstream.on('error', drop);
    client.on('close', drop); upstream.on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
    },
    restore() { down = false; },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
