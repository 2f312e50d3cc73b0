import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { createNotificationQueue, jobOptions, queueSettings } from '../../../connectors/bullmq/queue';
import { startNotifier } from '../../../pipeline/roles/notifier';
import { loadConfig } from '../../../pipeline/config/load';
import { buildNotificationJob } from '../../../pipeline/notify/job';
import { listFailed } from '../../../cli/commands/notify';
import type { Alert } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

/**
 * The email channel against a real SMTP server (the smtp-server package in a child process),
 * through the real notifier and Redis: login, text and HTML parts, a 4xx answer retried, a 5xx
 * answer and a refused login stopped at once with the SMTP answer in the reason.
 */
interface Mail { from: string; to: string[]; user: string | null; raw: string }

async function startSmtp(auth?: { user: string; pass: string }): Promise<{ port: number; mails: Mail[]; proc: ChildProcess; stop(): void }> {
  const proc = fork(path.join(__dirname, '..', '..', 'support', 'smtp-server-process.js'), [], { env: { ...process.env, ...(auth ? { SMTP_AUTH_USER: auth.user, SMTP_AUTH_PASS: auth.pass } : {}) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const mails: Mail[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    proc.on('message', (m: { port?: number; mail?: Mail }) => {
      if (m.port) resolve(m.port);
      if (m.mail) mails.push(m.mail);
    });
    proc.once('exit', (code) => reject(new Error(`smtp server exited (${code})`)));
  });
  return { port, mails, proc, stop: () => proc.kill() };
}

function alert(id: string): Alert {
  return {
    '@timestamp': new Date().toISOString(),
    message: 'Power supply 2 failed on core-sw1 <PS2> & fan tray "B"',
    alert: { id, status: 'open', severity: 'high', created: new Date().toISOString(), group_key: 'host.hostname="core-sw1"', dedup_key: id, assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'entity-psu', title: 'Power supply failure' },
    events: { ids: ['ev-9'], count: 1, index: 'logs-haetae.snmp-test' },
    host: { hostname: 'core-sw1' },
  };
}

async function withEmail(smtp: Awaited<ReturnType<typeof startSmtp>>, extra: Record<string, unknown>, body: (send: (a: Alert) => Promise<void>, queue: ReturnType<typeof createNotificationQueue>) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-email-'));
  fs.writeFileSync(path.join(dir, 'smtp.pass'), 's3cr3t-smtp-pass\n');
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, JSON.stringify({
    redis: { url: services.redisUrl },
    notifier: {
      queue: uniqueName('haetae-test-email-'), attempts: 3, backoffMs: 100,
      channels: [{ name: 'noc-mail', type: 'email', smtp: { host: '127.0.0.1', port: smtp.port, ...extra }, from: 'haetae@example.net', to: ['noc@example.net'], cc: ['soc@example.net'] }],
    },
  }));
  const loaded = loadConfig({ file, env: {} });
  const settings = queueSettings(loaded.config);
  const queue = createNotificationQueue(settings);
  const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
  try {
    await notifier.ready;
    await body(async (a) => {
      const job = buildNotificationJob(a, 'noc-mail');
      await queue.add(job.id, job.data, jobOptions(settings, job.id));
    }, queue);
  } finally {
    await notifier.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

describe('email channel against a real SMTP server', () => {
  it('logs in and sends one message with a text and an escaped HTML part; a 451 is retried', async () => {
    const smtp = await startSmtp({ user: 'haetae', pass: 's3cr3t-smtp-pass' });
    try {
      smtp.proc.send({ fail: [{ code: 451, message: 'Try again later (greylisted)' }] });
      await withEmail(smtp, { user: 'haetae', passwordFile: 'smtp.pass' }, async (send, queue) => {
        const a = alert('e1'.padEnd(32, '0'));
        await send(a);
        const [mail] = await eventually(async () => (smtp.mails.length === 1 ? smtp.mails : undefined), 'the message at the SMTP server', 30_000);
        expect(mail).toMatchObject({ from: 'haetae@example.net', to: ['noc@example.net', 'soc@example.net'], user: 'haetae' });
        const raw = mail!.raw.replace(/=\r?\n/g, '');
        expect(raw).toMatch(/^Subject: \[opened\] HIGH Power supply failure\r?$/m);
        expect(raw).toMatch(new RegExp(`^Message-ID: <${a.alert.id}-noc-mail@haetae>\\r?$`, 'm'));
        expect(raw).toContain('Content-Type: text/plain');
        expect(raw).toContain('Content-Type: text/html');
        expect(raw).toContain('Host:      core-sw1');
        // The alert's text is data, not markup, in the HTML part.
        expect(raw).toMatch(/&lt;PS2&gt; &amp;(amp;)? fan tray (&quot;|=3D&quot;|")B/);
        // The greylisting 451 was one failed attempt, retried.
        const job = await queue.getJob(`${a.alert.id}-noc-mail`);
        expect(job!.attemptsMade).toBe(2);
      });
    } finally {
      smtp.stop();
    }
  }, 60_000);

  it('stops at once on a 5xx answer and on a refused login, with the SMTP answer in the failed list', async () => {
    const smtp = await startSmtp({ user: 'haetae', pass: 'right-pass' });
    try {
      await withEmail(smtp, { user: 'haetae', password: 'wrong-pass' }, async (send, queue) => {
        await send(alert('e2'.padEnd(32, '0')));
        const failed = await eventually(async () => { const f = await listFailed(queue, 10); return f.total === 1 ? f.jobs[0] : undefined; }, 'the job in the failed list');
        expect(failed).toMatchObject({ attempts: 1, code: 'HAETAE_EMAIL_SMTP', cause: 'SMTP_AUTH' });
        expect(failed!.reason).toMatch(/^email channel 'noc-mail': 127\.0\.0\.1:\d+ answered 535 to AUTH PLAIN: 535 Authentication credentials invalid/);
      });
      smtp.proc.send({ fail: [{ code: 554, message: 'Message refused: policy' }] });
      await withEmail(smtp, { user: 'haetae', password: 'right-pass' }, async (send, queue) => {
        await send(alert('e3'.padEnd(32, '0')));
        const failed = await eventually(async () => { const f = await listFailed(queue, 10); return f.total === 1 ? f.jobs[0] : undefined; }, 'the job in the failed list');
        expect(failed).toMatchObject({ attempts: 1, code: 'HAETAE_EMAIL_SMTP', cause: 'SMTP_554' });
        expect(failed!.reason).toContain('554 Message refused: policy');
        expect(smtp.mails).toHaveLength(0);
      });
    } finally {
      smtp.stop();
    }
  }, 60_000);
});
