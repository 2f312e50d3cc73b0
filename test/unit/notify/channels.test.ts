import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '../../../schemas/generated/types';
import { loadConfig } from '../../../pipeline/config/load';
import { AlertRouter, channelNames, resolveChannels } from '../../../pipeline/notify/channels';
import { compileTemplate, pagerDutyEvent, renderTemplate, slackMessage, teamsMessage, DEFAULT_TEMPLATES } from '../../../pipeline/notify/messages';
import { retryDelayMs } from '../../../pipeline/notify/backoff';
import { MAX_JOB_EVENT_BYTES, buildNotificationJob } from '../../../pipeline/notify/job';
import { retryAfterMs } from '../../../connectors/channels/webhook';

function alert(over: Partial<Alert['alert']> = {}, rule: Partial<Alert['rule']> = {}): Alert {
  return {
    '@timestamp': '2030-05-01T10:00:00.000Z',
    message: 'SSH brute force on web1: Failed password for root from 203.0.113.7',
    alert: { id: 'a'.repeat(32), status: 'open', severity: 'high', created: '2030-05-01T10:00:01.000Z', group_key: 'source.ip="203.0.113.7"', dedup_key: 'd'.repeat(32), assignee: null, acknowledged_at: null, resolved_at: null, ...over },
    rule: { id: 'r-ssh', title: 'SSH brute force', tags: ['attack.t1110'], ...rule },
    events: { ids: ['e1', 'e2'], count: 2, index: 'logs-haetae.syslog-default' },
    host: { hostname: 'web1' },
  };
}

function config(notifier: object, files: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-channels-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, JSON.stringify({ notifier }));
  return loadConfig({ file, env: {} });
}

describe('notification channels: config', () => {
  it('reads secrets from files, keeps notifier.webhook as the channel named webhook, and refuses duplicates and unknown names', () => {
    const loaded = config({
      webhook: { url: 'https://hooks.example/in', secret: 'k'.repeat(32) },
      channels: [
        { name: 'soc-slack', type: 'slack', urlFile: 'slack.url' },
        { name: 'oncall', type: 'pagerduty', routingKeyFile: 'pd.key' },
        { name: 'team', type: 'teams', url: 'https://example.webhook.office.com/x' },
      ],
      routes: [{ match: { severity: ['critical'] }, channels: ['oncall'] }],
    }, { 'slack.url': 'https://hooks.slack.com/services/T/B/X\n', 'pd.key': 'R0UT1NGKEY' });
    const channels = resolveChannels(loaded.config, loaded.baseDir, 'haetae.yaml');
    expect(channels.map((c) => [c.name, c.type])).toEqual([['webhook', 'webhook'], ['soc-slack', 'slack'], ['oncall', 'pagerduty'], ['team', 'teams']]);
    expect(channels[1]).toMatchObject({ url: 'https://hooks.slack.com/services/T/B/X' });
    expect(channels[2]).toMatchObject({ routingKey: 'R0UT1NGKEY', url: 'https://events.pagerduty.com/v2/enqueue' });
    expect(channelNames(loaded.config, 'haetae.yaml')).toEqual(['webhook', 'soc-slack', 'oncall', 'team']);

    const dup = config({ webhook: { url: 'https://a.example/' }, channels: [{ name: 'webhook', type: 'slack', url: 'https://hooks.slack.com/x' }] });
    expect(() => resolveChannels(dup.config, dup.baseDir, 'x.yaml')).toThrow(/channels\/0\/name: a channel named 'webhook' is already configured \(notifier.webhook is the channel named webhook\)/);
    const missing = config({ channels: [{ name: 'p', type: 'pagerduty', routingKeyFile: 'nope.key' }] });
    expect(() => resolveChannels(missing.config, missing.baseDir, 'x.yaml')).toThrow(/\/notifier\/channels\/0\/routingKeyFile: cannot read .*nope.key/);
    const unknown = config({ channels: [{ name: 'p', type: 'slack', url: 'https://hooks.slack.com/x' }], routes: [{ match: { severity: ['high'] }, channels: ['pager'] }] });
    expect(() => channelNames(unknown.config, 'x.yaml')).toThrow("/notifier/routes/0/channels/0: no channel named 'pager' (configured: p)");
    const zone = config({ channels: [{ name: 'p', type: 'slack', url: 'https://hooks.slack.com/x' }], routes: [{ match: { hours: '08:00-18:00', timezone: 'Mars/Olympus' }, channels: ['p'] }] });
    expect(() => channelNames(zone.config, 'x.yaml')).toThrow(/'Mars\/Olympus' is not an IANA time zone/);
    expect(() => config({ channels: [{ name: 'o', type: 'opsgenie', url: 'https://api.opsgenie.com' }] })).toThrow(/type: must be equal to one of the allowed values \(webhook, slack, teams, pagerduty, email, jira, servicenow\)/);
    const jira = config({ channels: [{ name: 'j', type: 'jira', url: 'https://example.atlassian.net/', project: 'SEC', user: 'me@example.net', token: 'tok' }, { name: 'dc', type: 'jira', url: 'https://jira.example.net/jira', project: 'SEC', token: 'pat' }] });
    expect(resolveChannels(jira.config, jira.baseDir, 'x.yaml')).toEqual([
      expect.objectContaining({ name: 'j', deployment: 'cloud', url: 'https://example.atlassian.net', authorization: `Basic ${Buffer.from('me@example.net:tok').toString('base64')}`, resolveTransition: 'Done', issueType: 'Task' }),
      expect.objectContaining({ name: 'dc', deployment: 'datacenter', authorization: 'Bearer pat' }),
    ]);
    const sn = config({ channels: [{ name: 's', type: 'servicenow', url: 'https://x.service-now.com', user: 'haetae' }] });
    expect(() => resolveChannels(sn.config, sn.baseDir, 'x.yaml')).toThrow('/notifier/channels/0: a servicenow channel needs password or passwordFile');
  });
});

describe('notification routing', () => {
  const notifier = {
    channels: [{ name: 'all-hands', type: 'slack', url: 'https://hooks.slack.com/a' }, { name: 'oncall', type: 'pagerduty', routingKey: 'k' }, { name: 'office', type: 'teams', url: 'https://t.example/x' }],
    routes: [
      { match: { severity: ['high', 'critical'] }, channels: ['oncall'] },
      { match: { tags: ['attack.t1110'], hours: '08:00-18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], timezone: 'Europe/Berlin' }, channels: ['office'] },
    ],
    defaultChannels: ['all-hands'],
  };
  const loaded = config(notifier);
  const router = new AlertRouter(loaded.config.notifier, channelNames(loaded.config, 'x'));
  // 2030-05-01 is a Wednesday; 10:00 UTC is 12:00 in Berlin (CEST), 20:00 UTC is 22:00.
  const noon = new Date('2030-05-01T10:00:00Z');
  const night = new Date('2030-05-01T20:00:00Z');
  const saturday = new Date('2030-05-04T10:00:00Z');

  it('sends where the rule says when it says, else to every matching route, else to the defaults', () => {
    expect(router.route(alert(), ['office', 'nowhere'], noon)).toEqual(['office']);
    expect(router.route(alert(), undefined, noon)).toEqual(['oncall', 'office']);
    expect(router.route(alert(), undefined, night)).toEqual(['oncall']);
    expect(router.route(alert(), undefined, saturday)).toEqual(['oncall']);
    expect(router.route(alert({ severity: 'low' }), undefined, noon)).toEqual(['office']);
    expect(router.route(alert({ severity: 'low' }), undefined, night)).toEqual(['all-hands']);
    expect(router.route(alert({ severity: 'low' }, { tags: [] }), undefined, noon)).toEqual(['all-hands']);
  });

  it('wraps an hours range over midnight', () => {
    const l = config({ channels: [{ name: 'n', type: 'slack', url: 'https://hooks.slack.com/n' }], routes: [{ match: { hours: '22:00-06:00' }, channels: ['n'] }], defaultChannels: [] });
    const r = new AlertRouter(l.config.notifier, ['n']);
    expect(r.route(alert(), undefined, new Date('2030-05-01T23:30:00Z'))).toEqual(['n']);
    expect(r.route(alert(), undefined, new Date('2030-05-01T05:59:00Z'))).toEqual(['n']);
    expect(r.route(alert(), undefined, new Date('2030-05-01T06:00:00Z'))).toEqual([]);
  });
});

describe('notification messages and templates', () => {
  it('renders the default templates with the alert, and the last note of its history', () => {
    const a = alert({ status: 'acknowledged', history: [{ at: '2030-05-01T10:05:00.000Z', actor: 'ana', via: 'cli', action: 'acknowledge', from: 'open', to: 'acknowledged', note: 'on it' }] });
    const text = renderTemplate(compileTemplate(DEFAULT_TEMPLATES.slack, 'slack'), a, 'acknowledged');
    expect(text).toBe(['*Acknowledged* · HIGH · SSH brute force', a.message, 'Group: `source.ip="203.0.113.7"`', 'Host: web1', '_ana: on it_'].join('\n'));
    const slack = slackMessage(a, 'acknowledged', text) as { text: string; blocks: Array<{ type: string }> };
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    const teams = teamsMessage(a, 'acknowledged', 'x') as { attachments: Array<{ contentType: string; content: { type: string; version: string } }> };
    expect(teams.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4' } });
  });

  it("shows the alert's first events (a big one cut to its summary fields, still under the job's byte limit)", () => {
    const a = alert();
    const first = { '@timestamp': '2030-05-01T10:00:00.000Z', message: 'Failed password for root from 203.0.113.7 port 4242 ssh2', host: { hostname: 'web1' } };
    const huge = { '@timestamp': '2030-05-01T10:00:01.000Z', message: 'x'.repeat(20_000), host: { hostname: 'web1' }, labels: { blob: 'y'.repeat(20_000) } };
    const job = buildNotificationJob(a, 'mail', 'opened', 1, [first, huge]);
    expect(job.data.events![0]).toEqual(first);
    const cut = job.data.events![1] as Record<string, unknown>;
    expect(cut).toMatchObject({ haetae_cut: true, '@timestamp': huge['@timestamp'], host: { hostname: 'web1' } });
    expect(cut.labels).toBeUndefined();
    expect((cut.message as string).length).toBe(1_024);
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThanOrEqual(MAX_JOB_EVENT_BYTES);
    const email = renderTemplate(compileTemplate(DEFAULT_TEMPLATES.email, 'email'), a, 'opened', job.data.events);
    expect(email).toContain(`First events:\n  2030-05-01T10:00:00.000Z  ${first.message}\n  2030-05-01T10:00:01.000Z  ${'x'.repeat(497)}...`);
    const slack = renderTemplate(compileTemplate(DEFAULT_TEMPLATES.slack, 'slack'), a, 'opened', job.data.events);
    expect(slack.split('\n')).toContain(`> ${first.message}`);
    // Without events (a person's change), nothing about them.
    expect(renderTemplate(compileTemplate(DEFAULT_TEMPLATES.email, 'email'), a, 'acknowledged')).not.toContain('First events');
  });

  it('maps alert transitions to PagerDuty actions on one dedup_key', () => {
    const a = alert();
    expect(pagerDutyEvent(a, 'opened', 'KEY', 'sum')).toMatchObject({ routing_key: 'KEY', event_action: 'trigger', dedup_key: 'd'.repeat(32), payload: { summary: 'sum', source: 'web1', severity: 'error', component: 'SSH brute force', class: 'r-ssh' } });
    expect(pagerDutyEvent(a, 'acknowledged', 'KEY', 'sum')).toEqual({ routing_key: 'KEY', event_action: 'acknowledge', dedup_key: 'd'.repeat(32) });
    expect(pagerDutyEvent(a, 'resolved', 'KEY', 'sum')).toEqual({ routing_key: 'KEY', event_action: 'resolve', dedup_key: 'd'.repeat(32) });
    expect(pagerDutyEvent(alert({ severity: 'critical' }), 'reopened', 'KEY', 's')).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical' } });
  });

  it('keeps user templates in the sandbox: no prototype access, bounded output, syntax errors named', () => {
    const t = compileTemplate('{{ alert.constructor }}|{{ alert.__proto__ }}|{{ alert.rule.title | upcase }}', 'mine.liquid');
    expect(renderTemplate(t, alert(), 'opened')).toBe('||SSH BRUTE FORCE');
    expect(() => compileTemplate('{% if alert %}', 'broken.liquid')).toThrow(/template broken.liquid: .*tag .*if.* not closed/i);
    expect(() => renderTemplate(compileTemplate('{% for i in (1..100000000) %}{{ i }}{% endfor %}', 'big.liquid'), alert(), 'opened')).toThrow();
  });
});

describe('retry delays', () => {
  it('honours Retry-After, else grows exponentially with jitter up to 15 minutes', () => {
    expect(retryDelayMs(3, 1000, Object.assign(new Error('429'), { retryAfterMs: 7000 }))).toBe(7000);
    expect(retryDelayMs(1, 1000, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, undefined, () => 0.5)).toBe(6000);
    expect(retryDelayMs(30, 1000, undefined, () => 1)).toBe(15 * 60_000);
    expect(retryAfterMs('120', 0)).toBe(120_000);
    expect(retryAfterMs('Wed, 01 May 2030 10:00:30 GMT', Date.parse('2030-05-01T10:00:00Z'))).toBe(30_000);
    expect(retryAfterMs('soon', 0)).toBeNull();
  });
});
