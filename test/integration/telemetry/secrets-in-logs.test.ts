import { HaetaeProcess, writeConfig } from '../../support/haetae-process';

/**
 * The built CLI as an operator runs it, with every connection secret set the documented way
 * (environment variables) and Redis unreachable, so the notifier logs a retry warning naming the
 * Redis URL again and again. Needs no service: the point is what reaches stdout.
 */
const SECRETS = {
  redis: 's3cr3tpw-redis',
  esUrl: 's3cr3tpw-esurl',
  esPassword: 's3cr3tpw-espass',
  esApiKey: 's3cr3tpw-esapikey',
  webhookUrl: 's3cr3tpw-hookurl',
  webhookToken: 's3cr3tpw-hooktoken',
  webhookSecret: 's3cr3tpw-hooksecret-0123456789',
};

describe('secrets in the logs of a running notifier', () => {
  it('never prints a password, token or key while it retries an unreachable Redis', async () => {
    const file = writeConfig({ notifier: { queue: 'haetae-test-secrets' }, log: { level: 'debug' } });
    const haetae = new HaetaeProcess(['run', 'notifier', '--no-http'], file, {
      HAETAE_REDIS_URL: `redis://:${SECRETS.redis}@127.0.0.1:1`,
      HAETAE_ELASTICSEARCH_URL: `http://elastic:${SECRETS.esUrl}@127.0.0.1:1`,
      HAETAE_ELASTICSEARCH_USERNAME: 'elastic',
      HAETAE_ELASTICSEARCH_PASSWORD: SECRETS.esPassword,
      HAETAE_ELASTICSEARCH_API_KEY: SECRETS.esApiKey,
      HAETAE_WEBHOOK_URL: `https://hook:${SECRETS.webhookUrl}@127.0.0.1:1/in?token=${SECRETS.webhookToken}`,
      HAETAE_WEBHOOK_SECRET: SECRETS.webhookSecret,
    });
    try {
      await haetae.waitFor(/Notifier lost Redis at /, 20_000);
      await new Promise((r) => setTimeout(r, 3_000)); // several more retry warnings
      const out = haetae.output.join('\n');
      expect(out).toContain('redis://:redacted@127.0.0.1:1');
      for (const [name, secret] of Object.entries(SECRETS)) expect([name, out.includes(secret)]).toEqual([name, false]);
    } finally {
      // Not stop(): with Redis unreachable BullMQ's worker.close() waits for a connection, so a
      // graceful stop would only run into HaetaeProcess's 30 s SIGKILL fallback.
      haetae.child.kill('SIGKILL');
      await haetae.exited;
    }
  }, 60_000);
});
