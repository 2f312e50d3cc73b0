import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { eventually } from '../support/services';
import { privateKafka } from '../support/private-kafka';
import { HaetaeProcess, runCli, writeConfig } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

/** curl in the background: resolves with the status and when it came. */
function curlAsync(args: string[]): { done: Promise<{ status: number; body: string; at: number }>; answered(): boolean } {
  let answered = false;
  const p = spawn('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', ...args]);
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  const done = new Promise<{ status: number; body: string; at: number }>((resolve) => p.on('close', () => {
    answered = true;
    const i = out.lastIndexOf('\n');
    resolve({ status: Number(out.slice(i + 1)), body: out.slice(0, i), at: Date.now() });
  }));
  return { done, answered: () => answered };
}

/**
 * A private Kafka broker (the project's stack script on spare ports; the shared broker is
 * untouched) is stopped while a shipper posts to the HTTP input: the request gets no 200 while
 * Kafka cannot store it. Kafka back, its events are stored and searchable.
 */
describe('HTTP input during a Kafka outage', () => {
  it('does not answer 200 while Kafka cannot store the events', async () => {
    const kafka = await privateKafka('haetae-http-kafka-outage-');
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.kafka.brokers = [kafka.broker];
    const token = randomUUID();
    config.receiver.listeners = [{ transport: 'http', host: '127.0.0.1', port: 0, tokensFile: 'hec-tokens' }];
    const file = writeConfig(config);
    fs.writeFileSync(path.join(path.dirname(file), 'hec-tokens'), `outage:${token}\n`);
    let haetae: HaetaeProcess | undefined;
    try {
      kafka.up();
      haetae = new HaetaeProcess(['run', 'all', '--no-http'], file);
      const url = `http://127.0.0.1:${(await haetae.waitFor(/listening for syslog on http:\/\/127\.0\.0\.1:(\d+)/))[1]}/services/collector/event`;
      await haetae.waitFor(/Worker joined the consumer group/);
      const tag = `hecout${randomUUID().slice(0, 8)}`;
      const search = (): number => {
        const res = runCli(['search', `message:${tag}`, '--since', '10m', '--json', '--limit', '100'], file);
        return res.status === 0 ? res.stdout.split('\n').filter(Boolean).length : -1;
      };
      const post = (text: string) => curlAsync(['-H', `Authorization: Splunk ${token}`, '--data-binary', JSON.stringify({ event: `${text} ${tag}` }), url]);

      const before = await post('before the outage').done;
      expect(before.status).toBe(200);

      kafka.down();
      const during = post('during the outage');
      // Kafka is gone: ten seconds on, the shipper still has no answer (its events are held, not stored).
      await new Promise((r) => setTimeout(r, 10_000));
      expect(during.answered()).toBe(false);
      const restartedAt = Date.now();
      kafka.up();
      const answer = await during.done;
      // The answer came after Kafka was back: 200 once stored, or 503 when the restart took longer
      // than the 30 s the input waits (then the events are stored anyway and the shipper retries).
      if (answer.status === 200) expect(answer.at).toBeGreaterThan(restartedAt);
      else expect([answer.status, JSON.parse(answer.body)]).toEqual([503, { text: 'Server is busy', code: 9 }]);
      await eventually(async () => (search() === 2 ? true : undefined), 'both events after Kafka is back', 120_000, 1_000);
    } finally {
      await haetae?.stop();
      await hook.close();
      kafka.remove();
    }
  }, 300_000);
});
