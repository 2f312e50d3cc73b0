import http from 'node:http';
import net from 'node:net';
import { postWebhook, WebhookDeliveryError } from '../../../connectors/channels/webhook';
import { classifyFetchFailure } from '../../../connectors/channels/fetch-failure';
import { closedPort, startSelfSignedServer } from '../../support/tls-server';

/** What postWebhook threw, as the notifier sees it. */
async function failure(url: string, timeoutMs = 5_000): Promise<{ code: string; retryable: boolean; message: string; cause: unknown }> {
  try {
    await postWebhook({ url, timeoutMs }, 'delivery-1', { hello: 1 });
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    const e = err as WebhookDeliveryError;
    return { code: e.code, retryable: e.retryable, message: e.message, cause: e.detail?.cause };
  }
  throw new Error(`POST ${url} succeeded`);
}

async function httpServer(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('webhook failures name their cause (real failures)', () => {
  it('connection refused: retryable', async () => {
    const port = await closedPort();
    expect(await failure(`http://127.0.0.1:${port}/hook`)).toEqual({
      code: 'HAETAE_WEBHOOK_NETWORK', retryable: true, cause: 'ECONNREFUSED',
      message: `webhook request failed: connection refused by 127.0.0.1:${port} (ECONNREFUSED)`,
    });
  });

  it('self-signed certificate: permanent, and the request is never sent', async () => {
    const server = await startSelfSignedServer();
    try {
      const f = await failure(server.url);
      expect(f).toMatchObject({ code: 'HAETAE_WEBHOOK_TLS', retryable: false, cause: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(f.message).toMatch(/^webhook at 127\.0\.0\.1:\d+: TLS certificate rejected: self-signed certificate.* \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
      expect(server.requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('https to a plain-HTTP port: permanent TLS handshake failure', async () => {
    const server = await httpServer((_q, r) => r.end('ok'));
    try {
      const f = await failure(`https://127.0.0.1:${server.port}/hook`);
      expect(f).toMatchObject({ code: 'HAETAE_WEBHOOK_TLS', retryable: false, cause: 'ERR_SSL_WRONG_VERSION_NUMBER' });
      expect(f.message).toMatch(/^webhook at 127\.0\.0\.1:\d+: TLS handshake failed: .*wrong version number.* \(ERR_SSL_WRONG_VERSION_NUMBER\)$/);
    } finally {
      await server.close();
    }
  });

  it('DNS failure: retryable, naming the host', async () => {
    const f = await failure('http://nohost.invalid/hook');
    expect(f).toMatchObject({ code: 'HAETAE_WEBHOOK_NETWORK', retryable: true });
    // ENOTFOUND where a resolver answers NXDOMAIN; EAI_AGAIN on a machine without one.
    expect(f.message).toMatch(/^webhook request failed: DNS lookup failed for nohost\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/);
  });

  it('no response within timeoutMs: retryable', async () => {
    const server = await httpServer(() => undefined); // accepts, never answers
    try {
      expect(await failure(`http://127.0.0.1:${server.port}/hook`, 200)).toEqual({
        code: 'HAETAE_WEBHOOK_TIMEOUT', retryable: true, cause: 'TimeoutError',
        message: `webhook at 127.0.0.1:${server.port} gave no response within 200 ms`,
      });
    } finally {
      await server.close();
    }
  });

  it('connection closed without an answer: retryable', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const f = await failure(`http://127.0.0.1:${port}/hook`);
      expect(f.retryable).toBe(true);
      expect(f.code).toBe('HAETAE_WEBHOOK_NETWORK');
      expect(f.message).toMatch(new RegExp(`^webhook request failed: connection to 127\\.0\\.0\\.1:${port} closed without an answer \\((UND_ERR_SOCKET|ECONNRESET)\\)$`));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a redirect is not followed: permanent', async () => {
    const server = await httpServer((_q, r) => r.writeHead(302, { location: '/elsewhere' }).end());
    try {
      expect(await failure(`http://127.0.0.1:${server.port}/hook`)).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false, cause: 'REDIRECT' });
    } finally {
      await server.close();
    }
  });

  it('an unusable URL: permanent, without echoing the URL or its secrets', async () => {
    expect(await failure('not a url')).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false, message: 'webhook URL (notifier.webhook.url) is not usable: not a valid URL' });
    expect(await failure('ftp://u:pw-ftp@127.0.0.1/x')).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false, message: 'webhook URL (notifier.webhook.url) is not usable: protocol ftp: is not http: or https:' });
    expect(await failure('http://127.0.0.1:1/x?token=tok-1')).toMatchObject({ code: 'HAETAE_WEBHOOK_URL', retryable: false, cause: 'BAD_PORT' });
  });

  it('credentials in the URL are sent as Basic auth and never appear in a failure', async () => {
    let authorization: string | undefined;
    let path: string | undefined;
    const server = await httpServer((q, r) => { authorization = q.headers.authorization; path = q.url; r.end('ok'); });
    try {
      await postWebhook({ url: `http://hook%40user:p%3Ass@127.0.0.1:${server.port}/hook?x=1`, timeoutMs: 5_000 }, 'd', {});
      expect(authorization).toBe(`Basic ${Buffer.from('hook@user:p:ss').toString('base64')}`);
      expect(path).toBe('/hook?x=1');
    } finally {
      await server.close();
    }
    const port = await closedPort();
    const f = await failure(`http://user:pw-hidden@127.0.0.1:${port}/hook?token=tok-hidden`);
    expect(f.message).not.toMatch(/pw-hidden|tok-hidden/);
  });
});

describe('classifyFetchFailure (errors that are hard to provoke on loopback)', () => {
  const url = new URL('https://hooks.example.com/in');
  const fetchFailed = (code: string, message = code): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

  it.each([
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"],
    ['CERT_NOT_YET_VALID', 'certificate is not yet valid'],
  ])('%s is a rejected certificate: permanent', (code, message) => {
    expect(classifyFetchFailure(fetchFailed(code, message), url, 10_000)).toEqual({
      code: 'HAETAE_WEBHOOK_TLS', retryable: false, cause: code,
      args: ['hooks.example.com:443', 'certificate rejected', message, code],
    });
  });

  it.each([
    ['ECONNRESET', 'connection to hooks.example.com:443 closed without an answer (ECONNRESET)'],
    ['EPIPE', 'connection to hooks.example.com:443 closed without an answer (EPIPE)'],
    ['ETIMEDOUT', 'connecting to hooks.example.com:443 timed out (ETIMEDOUT)'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connecting to hooks.example.com:443 timed out (UND_ERR_CONNECT_TIMEOUT)'],
    ['UND_ERR_HEADERS_TIMEOUT', 'hooks.example.com:443 did not answer in time (UND_ERR_HEADERS_TIMEOUT)'],
    ['EAI_AGAIN', 'DNS lookup failed for hooks.example.com (EAI_AGAIN)'],
    ['ENOTFOUND', 'DNS lookup failed for hooks.example.com (ENOTFOUND)'],
    ['EHOSTUNREACH', 'hooks.example.com:443 is unreachable (EHOSTUNREACH)'],
    ['ENETUNREACH', 'hooks.example.com:443 is unreachable (ENETUNREACH)'],
  ])('%s is retryable', (code, text) => {
    expect(classifyFetchFailure(fetchFailed(code), url, 10_000)).toEqual({ code: 'HAETAE_WEBHOOK_NETWORK', retryable: true, cause: code, args: [text] });
  });

  it('reads the code of the first attempt when happy eyeballs reports an AggregateError', () => {
    const agg = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' })], ''), {});
    const err = Object.assign(new TypeError('fetch failed'), { cause: agg });
    expect(classifyFetchFailure(err, url, 10_000)).toMatchObject({ retryable: true, cause: 'ECONNREFUSED', args: ['connection refused by hooks.example.com:443 (ECONNREFUSED)'] });
  });

  it('an abort (our own timeout) is retryable and names the timeout', () => {
    expect(classifyFetchFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), url, 10_000))
      .toEqual({ code: 'HAETAE_WEBHOOK_TIMEOUT', retryable: true, cause: 'TimeoutError', args: ['hooks.example.com:443', 10_000] });
    expect(classifyFetchFailure(new DOMException('This operation was aborted', 'AbortError'), url, 10_000))
      .toMatchObject({ code: 'HAETAE_WEBHOOK_TIMEOUT', retryable: true, cause: 'AbortError' });
  });

  it('an unknown failure stays retryable, with its own text scrubbed of URL secrets', () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: new Error('odd failure at https://u:pw-x@h.example/?token=t-x') });
    const c = classifyFetchFailure(err, url, 10_000);
    expect(c).toMatchObject({ code: 'HAETAE_WEBHOOK_NETWORK', retryable: true, cause: 'UNKNOWN' });
    expect(String(c.args[0])).not.toMatch(/pw-x|t-x/);
  });
});
