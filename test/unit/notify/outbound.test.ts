import http from 'node:http';
import { OutboundGuard } from '../../../connectors/channels/outbound';
import { WebhookDeliveryError, postJson } from '../../../connectors/channels/webhook';
import { loadConfig } from '../../../pipeline/config/load';

/** notifier.outbound: no notification may be pointed at a cloud metadata service or a link-local address. */
describe('outbound policy for notifications', () => {
  const guard = new OutboundGuard({ allow: [], deny: [] });

  it('denies link-local and metadata addresses and names by default, allows loopback, private and public', () => {
    for (const a of ['169.254.169.254', '169.254.1.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '::ffff:169.254.169.254']) {
      expect(guard.refuseAddress(a, a)).toMatch(/denied network/);
    }
    expect(guard.refuseName('metadata.google.internal')).toMatch(/denied/);
    expect(guard.refuseName('Metadata.Google.Internal.')).toMatch(/denied/);
    for (const a of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.10', '172.16.5.5', '203.0.113.9', '2001:db8::1']) expect(guard.refuseAddress(a, a)).toBeNull();
    expect(guard.refuseName('jira.example.net')).toBeNull();
  });

  it('lets allow open a denied address and deny close more networks; refuses entries it cannot read', () => {
    const g = new OutboundGuard({ allow: ['169.254.10.0/24'], deny: ['10.0.0.0/8', 'internal.example'] });
    expect(g.refuseAddress('169.254.10.7', 'x')).toBeNull();
    expect(g.refuseAddress('169.254.169.254', 'x')).toMatch(/denied/);
    expect(g.refuseAddress('10.9.9.9', 'x')).toMatch(/denied/);
    expect(g.refuseName('internal.example')).toMatch(/denied/);
    expect(() => new OutboundGuard({ allow: ['http://x/'], deny: [] })).toThrow("notifier.outbound.allow: 'http://x/' is neither an address, a network (CIDR) nor a host name");
    expect(loadConfig({ cwd: '/nonexistent', env: {} }).config.notifier.outbound).toEqual({ allow: [], deny: [] });
  });

  it('refuses before connecting, for good (not retried): an address in the URL, and a name whose address is denied', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => { requests++; res.end('ok'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const send = (url: string, g: OutboundGuard) => postJson({ url, timeoutMs: 2_000, label: "slack channel 's'", guard: g }, '{}');
      // Allowed: loopback, through the guarded dispatcher.
      expect((await send(`http://localhost:${port}/x`, guard)).status).toBe(200);
      const err1 = await send('http://169.254.169.254/latest/meta-data/', guard).catch((e: unknown) => e);
      expect(err1).toBeInstanceOf(WebhookDeliveryError);
      expect(err1).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false, detail: { cause: 'EOUTBOUNDDENIED' } });
      expect((err1 as Error).message).toBe("slack channel 's' URL is not usable: 169.254.169.254 is in a denied network (link-local or cloud metadata; list it in notifier.outbound.allow to permit it)");
      // A name is checked on the addresses it resolves to.
      const strict = new OutboundGuard({ allow: [], deny: ['127.0.0.0/8', '::1/128'] });
      const err2 = await send(`http://localhost:${port}/x`, strict).catch((e: unknown) => e);
      expect(err2).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false });
      expect((err2 as Error).message).toMatch(/localhost \((127\.0\.0\.1|::1)\) is in a denied network/);
      expect(requests).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
