import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { createNotificationQueue, jobOptions, queueSettings } from '../../../connectors/bullmq/queue';
import { startNotifier } from '../../../pipeline/roles/notifier';
import { loadConfig, type LoadedConfig } from '../../../pipeline/config/load';
import { buildNotificationJob, type NotificationEvent } from '../../../pipeline/notify/job';
import { AlertRouter, channelNames } from '../../../pipeline/notify/channels';
import { listFailed } from '../../../cli/commands/notify';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';
import { startPagerDuty, startSlack, startTeams } from '../../support/channel-services';

/**
 * The notifier with Slack, Teams and PagerDuty channels against real Redis and local servers that
 * enforce each service's documented request shapes and answer with its real error shapes.
 */
const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12';

function alert(id: string, severity: Alert['alert']['severity'] = 'critical'): Alert {
  return {
    '@timestamp': new Date().toISOString(),
    message: 'BGP peer 192.0.2.1 went down on edge1',
    alert: { id, status: 'open', severity, created: new Date().toISOString(), group_key: 'host.hostname="edge1"', dedup_key: `dd${id.slice(0, 30)}`, assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'bgp-down', title: 'BGP backward transition', tags: ['network'] },
    events: { ids: ['ev1'], count: 1, index: 'logs-haetae.snmp-test' },
    host: { hostname: 'edge1' },
  };
}

async function withChannels(body: (h: {
  slack: Awaited<ReturnType<typeof startSlack>>; teams: Awaited<ReturnType<typeof startTeams>>; pd: Awaited<ReturnType<typeof startPagerDuty>>;
  loaded: LoadedConfig; queue: Queue<NotificationJob>; send(a: Alert, event?: NotificationEvent, n?: number, events?: object[]): Promise<void>;
}) => Promise<void>): Promise<void> {
  const [slack, teams, pd] = await Promise.all([startSlack(), startTeams(), startPagerDuty(ROUTING_KEY)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-channels-'));
  fs.writeFileSync(path.join(dir, 'pd.key'), `${ROUTING_KEY}\n`);
  fs.writeFileSync(path.join(dir, 'teams.liquid'), '{{ alert.rule.title | upcase }} on {{ alert.host.hostname }} is {{ event }}');
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, JSON.stringify({
    redis: { url: services.redisUrl },
    notifier: {
      queue: uniqueName('haetae-test-channels-'), attempts: 3, backoffMs: 100,
      channels: [
        { name: 'soc-slack', type: 'slack', url: slack.url },
        { name: 'noc-teams', type: 'teams', url: teams.url, template: 'teams.liquid' },
        { name: 'oncall', type: 'pagerduty', url: pd.url, routingKeyFile: 'pd.key' },
      ],
      routes: [{ match: { severity: ['high', 'critical'] }, channels: ['oncall', 'soc-slack'] }],
      defaultChannels: ['noc-teams'],
    },
  }));
  const loaded = loadConfig({ file, env: {} });
  const settings = queueSettings(loaded.config);
  const queue = createNotificationQueue(settings);
  const router = new AlertRouter(loaded.config.notifier, channelNames(loaded.config, file));
  const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
  const send = async (a: Alert, event: NotificationEvent = 'opened', n = 1, events?: object[]): Promise<void> => {
    for (const channel of router.route(a, undefined, new Date())) {
      const job = buildNotificationJob(a, channel, event, n, events);
      await queue.add(job.id, job.data, jobOptions(settings, job.id));
    }
  };
  try {
    await notifier.ready;
    await body({ slack, teams, pd, loaded, queue, send });
  } finally {
    await notifier.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await Promise.all([slack.close(), teams.close(), pd.close()]);
  }
}

describe('notification channels against real Redis and API-shaped receivers', () => {
  it('routes by severity; PagerDuty follows the alert (trigger, acknowledge, resolve on one dedup_key); Slack gets Block Kit; Teams a templated card', async () => {
    await withChannels(async ({ slack, teams, pd, send }) => {
      const critical = alert('c1'.padEnd(32, '0'));
      const at = new Date(Date.now() - 5_000).toISOString();
      await send(critical, 'opened', 1, [{ '@timestamp': at, message: 'BGP-5-ADJCHANGE: neighbor 192.0.2.1 Down BGP Notification sent', host: { hostname: 'edge1' } }]);
      await eventually(async () => (pd.incidents.get(critical.alert.dedup_key!)?.status === 'triggered' && slack.accepted.length === 1 ? true : undefined), 'PagerDuty incident and Slack message');
      expect(pd.incidents.get(critical.alert.dedup_key!)).toMatchObject({ summary: 'BGP backward transition: BGP peer 192.0.2.1 went down on edge1', severity: 'critical' });
      expect(slack.accepted[0]!.body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[opened] BGP backward transition', emoji: false } });
      expect(slack.accepted[0]!.body.blocks[1]!.text.text).toContain('*Opened* · CRITICAL · BGP backward transition');
      // The worker's triggering event travels with the job and shows in the default message.
      expect(JSON.stringify(slack.accepted[0]!.body.blocks)).toContain('BGP-5-ADJCHANGE: neighbor 192.0.2.1 Down');

      await send({ ...critical, alert: { ...critical.alert, status: 'acknowledged' } }, 'acknowledged');
      await eventually(async () => (pd.incidents.get(critical.alert.dedup_key!)?.status === 'acknowledged' ? true : undefined), 'incident acknowledged');
      await send({ ...critical, alert: { ...critical.alert, status: 'resolved' } }, 'resolved');
      await eventually(async () => (pd.incidents.get(critical.alert.dedup_key!)?.status === 'resolved' ? true : undefined), 'incident resolved');
      expect(pd.incidents.get(critical.alert.dedup_key!)!.events).toEqual(['trigger', 'acknowledge', 'resolve']);
      expect(pd.requests.every((r) => r.status === 202)).toBe(true);

      // A low alert matches no route: the default channel, with the user's template.
      const low = alert('10'.padEnd(32, '0'), 'low');
      await send(low);
      await eventually(async () => (teams.accepted.length === 1 ? true : undefined), 'Teams card');
      const card = teams.accepted[0]!.body.attachments[0]!.content;
      expect(card.body[1]).toEqual({ type: 'TextBlock', wrap: true, text: 'BGP BACKWARD TRANSITION on edge1 is opened' });
      expect(pd.incidents.has(low.alert.dedup_key!)).toBe(false);
      expect(slack.accepted).toHaveLength(3); // opened, acknowledged, resolved of the critical one
    });
  }, 60_000);

  it('waits as long as Slack says on 429 (Retry-After), retries a 500, and delivers once', async () => {
    await withChannels(async ({ slack, pd, send }) => {
      slack.fail.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } }, { status: 500, body: 'internal_error' });
      await send(alert('5a'.padEnd(32, '0')));
      await eventually(async () => (slack.accepted.length === 1 ? true : undefined), 'Slack delivery after a 429 and a 500', 30_000);
      expect(slack.requests.map((r) => r.status)).toEqual([429, 500, 200]);
      expect(slack.requests[1]!.at - slack.requests[0]!.at).toBeGreaterThanOrEqual(1_900);
      expect(pd.accepted).toHaveLength(1);
    });
  }, 60_000);

  it('stops at once on a permanent answer and says why, naming the channel', async () => {
    await withChannels(async ({ slack, queue, send }) => {
      slack.fail.push({ status: 403, body: 'invalid_token' });
      await send(alert('4f'.padEnd(32, '0')));
      const failed = await eventually(async () => {
        const f = await listFailed(queue, 10);
        return f.total === 1 ? f.jobs[0] : undefined;
      }, 'the Slack job in the failed list');
      expect(failed).toMatchObject({ channel: 'soc-slack', attempts: 1, code: 'HAETAE_WEBHOOK_STATUS', cause: 'HTTP_403' });
      expect(failed!.reason).toBe("slack channel 'soc-slack' answered HTTP 403: invalid_token");
      expect(slack.requests).toHaveLength(1);
    });
  }, 60_000);

  it('refuses to start with a template that does not parse, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-channels-'));
    fs.writeFileSync(path.join(dir, 'bad.liquid'), '{% if alert %}never closed');
    const file = path.join(dir, 'haetae.yaml');
    fs.writeFileSync(file, JSON.stringify({ redis: { url: services.redisUrl }, notifier: { channels: [{ name: 's', type: 'slack', url: 'http://127.0.0.1:9/x', template: 'bad.liquid' }] } }));
    expect(() => startNotifier(loadConfig({ file, env: {} }), quietLogger(), freshMetrics())).toThrow(/bad\.liquid.*not closed/);
  });
});
