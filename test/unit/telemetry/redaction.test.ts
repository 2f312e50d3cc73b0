import { createLogger, redactUrl, scrubSecrets } from '../../../pipeline/telemetry/logger';

/** Every secret a connection setting can carry; none of these strings may reach a log line. */
const S = {
  redisPw: 'redisPw-1a2b3c',
  redisUserPw: 'redisUserPw-4d5e6f',
  esUrlPw: 'esUrlPw-7a8b9c',
  esPassword: 'esCfgPassword-0d1e2f',
  esApiKey: 'esApiKey-3a4b5c6d==',
  webhookSecret: 'webhookSecret-0123456789abcdef',
  webhookUrlPw: 'hookUrlPw-6e7f8a',
  webhookToken: 'hookToken-9b0c1d',
  webhookApiKey: 'hookApiKey-2e3f4a',
  webhookSig: 'hookSig-5b6c7d',
};

const URLS = {
  redis: `redis://:${S.redisPw}@10.0.0.5:6379`,
  redisUser: `redis://app:${S.redisUserPw}@redis.internal:6380/2`,
  es: `https://elastic:${S.esUrlPw}@es.internal:9200`,
  webhook: `https://hooks:${S.webhookUrlPw}@hooks.example.com/in?channel=ops&token=${S.webhookToken}`,
  webhookQuery: `https://hooks.example.com/in?api_key=${S.webhookApiKey}&Signature=${S.webhookSig}&team=sec`,
};

const config = {
  kafka: { brokers: ['127.0.0.1:9092'] },
  elasticsearch: { url: URLS.es, username: 'elastic', password: S.esPassword, apiKey: S.esApiKey },
  redis: { url: URLS.redisUser },
  notifier: { queue: 'haetae-notify', webhook: { url: URLS.webhook, secret: S.webhookSecret, timeoutMs: 10_000 } },
};

function capture(level = 'debug', bindings: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = createLogger(level, bindings, { write: (s: string) => { lines.push(s); } });
  return { logger, lines, text: () => lines.join('') };
}

function expectNoSecret(text: string): void {
  for (const [name, secret] of Object.entries(S)) {
    expect([name, text.includes(secret)]).toEqual([name, false]);
  }
}

describe('log redaction at the logger', () => {
  it('scrubs URL passwords and token query values from messages, printf arguments, fields, bindings and errors', () => {
    const { logger, lines, text } = capture('debug', { target: URLS.es });
    logger.warn(`Notifier lost Redis at ${URLS.redis} (connect ECONNREFUSED); reconnecting.`);
    logger.warn(`Redis at ${URLS.redisUser} did not take 3 notification jobs; retrying.`);
    logger.warn({ attempt: 2 }, `Elasticsearch at ${URLS.es} is unavailable (timeout); retrying.`);
    logger.info('webhook %s answered 500', URLS.webhook);
    logger.info({ url: URLS.webhookQuery, redis: URLS.redis, nested: { list: [URLS.webhook] } }, 'settings');
    logger.child({ role: 'notifier', endpoint: URLS.webhookQuery }).error({ err: new Error(`cannot reach ${URLS.redis}`) }, 'failed');
    logger.error(new Error(`cannot reach ${URLS.es}`));

    expect(lines).toHaveLength(7);
    expectNoSecret(text());
    // What is left is still useful: scheme, user, host, port and harmless query parameters.
    expect(text()).toContain('redis://:redacted@10.0.0.5:6379 (connect ECONNREFUSED)');
    expect(text()).toContain('redis://app:redacted@redis.internal:6380/2');
    expect(text()).toContain('https://elastic:redacted@es.internal:9200 is unavailable');
    expect(text()).toContain('https://hooks:redacted@hooks.example.com/in?channel=ops&token=redacted answered 500');
    expect(text()).toContain('https://hooks.example.com/in?api_key=redacted&Signature=redacted&team=sec');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('censors secret-named keys at any depth, including a whole config object', () => {
    const { logger, text } = capture();
    logger.info({ config }, 'loaded config');
    logger.info(config, 'config at top level');
    logger.info({ elasticsearch: config.elasticsearch }, 'es settings');
    logger.info({ notifier: config.notifier }, 'notifier settings');
    logger.info({ password: S.esPassword, secret: S.webhookSecret, apiKey: S.esApiKey }, 'flat');
    logger.info({ deep: { a: { b: { c: { password: S.esPassword, api_key: S.webhookApiKey, token: S.webhookToken } } } } }, 'deep');
    logger.info({ headers: { authorization: `Bearer ${S.webhookToken}` } }, 'request');

    expectNoSecret(text());
    expect(text()).toContain('"username":"elastic"');
    expect(text()).toContain('"queue":"haetae-notify"');
  });

  it('keeps the old two-argument signature', () => {
    expect(typeof createLogger('silent').info).toBe('function');
    expect(typeof createLogger('silent', { role: 'x' }).child).toBe('function');
  });
});

describe('redactUrl and scrubSecrets', () => {
  it('hides the password and secret query values but keeps the rest of the URL as written', () => {
    expect(redactUrl(URLS.redis)).toBe('redis://:redacted@10.0.0.5:6379');
    expect(redactUrl(URLS.es)).toBe('https://elastic:redacted@es.internal:9200');
    expect(redactUrl('http://127.0.0.1:9200')).toBe('http://127.0.0.1:9200');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('https://h.example/x?password=p1&key=k1&sig=s1&a=1')).toBe('https://h.example/x?password=redacted&key=redacted&sig=redacted&a=1');
  });

  it('takes the last @ of the authority as the end of the userinfo, as URL parsers do', () => {
    expect(scrubSecrets('redis://:p@ss@host:6379')).toBe('redis://:redacted@host:6379');
    expect(scrubSecrets('see redis://u:pw@h:1/0 and http://x.example/a@b')).toBe('see redis://u:redacted@h:1/0 and http://x.example/a@b');
  });
});
