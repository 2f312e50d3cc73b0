import os from 'node:os';
import type { Client } from '@elastic/elasticsearch';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../pipeline/config/load';
import type { Alert } from '../../schemas/generated/types';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { findAlert, listAlerts, occurrencesOf, type Occurrences } from '../../connectors/elasticsearch/alert-store';
import { AlertTransitionError, type AlertAction } from '../../pipeline/alert/lifecycle';
import { applyAlertChange, openAlertNotifications } from '../../pipeline/alert/apply';
import type { NotificationEvent } from '../../pipeline/notify/job';
import { HaetaeError, messageOf } from '../../pipeline/errors/catalog';
import { parseTimeBound } from '../duration';
import { notificationsOf, type NotificationJobView } from '../../pipeline/api/notifications';
import { createNotificationQueue, queueSettings } from '../../connectors/bullmq/queue';
import { settlesWithin } from '../../pipeline/delivery/settles';
import { redactUrl } from '../../pipeline/telemetry/logger';

/** `haetae alerts …`: what an analyst does with alerts, from a terminal. */
export function registerAlertCommands(program: Command, config: (cmd: Command) => LoadedConfig, positiveInt: (v: string) => number, exitProblem: number): void {
  const alerts = program.command('alerts').description('list, show and work alerts: acknowledge, resolve, reopen, assign, add notes');
  const actorOption = ['--as <user>', 'who is acting, recorded in the alert history (default: $HAETAE_USER, else the login name)'] as const;

  alerts
    .command('list')
    .description('alerts newest first (by event time): id, status, severity, occurrences, last seen, assignee, summary')
    .option('--status <list>', "comma-separated: open, acknowledged, resolved, or 'all'", 'open,acknowledged')
    .option('--rule <id|title>', 'only alerts of this rule (its id, or its exact title)')
    .option('--since <when>', 'only alerts whose event time is after this: a duration back from now (30m, 24h, 7d) or a date')
    .option('--assignee <user>', 'only alerts assigned to this user')
    .option('-n, --limit <n>', 'how many at most', positiveInt, 50)
    .option('--json', 'one JSON document per line (the stored alert, with occurrences)')
    .addHelpText('after', `
Ids print shortened to 12 characters; every command takes an id or a unique prefix of it (6+).

Examples:
  haetae alerts list                               open and acknowledged alerts
  haetae alerts list --status all --since 7d --rule 'SSH brute force'
  haetae alerts list --json | jq -r 'select(.alert.severity=="critical") | .alert.id'`)
    .action(async (opts: { status: string; rule?: string; since?: string; assignee?: string; limit: number; json?: boolean }, cmd: Command) => {
      const { config: cfg } = config(cmd);
      const status = parseStatuses(opts.status);
      const since = opts.since ? parseTimeBound(opts.since, new Date()) : null;
      if (opts.since && !since) throw new HaetaeError('HAETAE_USAGE', [`--since '${opts.since}' is neither a duration (30m, 24h, 7d) nor a date`]);
      await withEs(cfg, async (es) => {
        const { total, alerts: found } = await listAlerts(es, cfg.elasticsearch.alertsIndex, { status, ...(opts.rule ? { ruleId: opts.rule } : {}), ...(since ? { since: since.toISOString() } : {}), ...(opts.assignee ? { assignee: opts.assignee } : {}), limit: opts.limit });
        const occ = await occurrencesOf(es, cfg.elasticsearch.alertEventsIndex, found.map((a) => a.alert.id));
        if (opts.json) {
          for (const a of found) process.stdout.write(`${JSON.stringify({ ...a, occurrences: occ.get(a.alert.id) ?? defaultOccurrences(a) })}\n`);
          return;
        }
        if (found.length > 0) process.stdout.write(`${formatAlertTable(found, occ, process.stdout.columns ?? 160)}\n`);
        process.stderr.write(`${found.length} of ${total} alert${total === 1 ? '' : 's'} (${status.join(', ')}${since ? ` since ${opts.since}` : ''})${total > found.length ? ' (use --limit to see more)' : ''}\n`);
      });
    });

  alerts
    .command('show')
    .description('one alert in full: state, rule, group, occurrences, linked events and its history')
    .argument('<id>', 'alert id or a unique prefix (6+ characters)')
    .option('--json', 'the stored alert, with occurrences and notification jobs, as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { config: cfg } = config(cmd);
      await withEs(cfg, async (es) => {
        const { alert } = await findAlert(es, cfg.elasticsearch.alertsIndex, id);
        const occ = (await occurrencesOf(es, cfg.elasticsearch.alertEventsIndex, [alert.alert.id])).get(alert.alert.id) ?? defaultOccurrences(alert);
        const notes = await notificationAttempts(cfg, alert.alert.id);
        process.stdout.write(opts.json
          ? `${JSON.stringify({ ...alert, occurrences: occ, notifications: Array.isArray(notes) ? notes : { error: notes } })}\n`
          : `${formatAlert(alert, occ)}\n\n${formatNotifications(notes)}\n`);
      });
    });

  const transition = (name: 'ack' | 'resolve' | 'reopen', kind: 'acknowledge' | 'resolve' | 'reopen', event: NotificationEvent, what: string): void => {
    alerts
      .command(name)
      .description(what)
      .argument('<ids...>', 'alert ids or unique prefixes')
      .option('--note <text>', 'a note recorded with the change')
      .option(...actorOption)
      .action(async (ids: string[], opts: { note?: string; as?: string }, cmd: Command) => {
        const { config: cfg } = config(cmd);
        const failed = await applyToEach(cfg, ids, { kind, ...(opts.note ? { note: opts.note } : {}) }, actorName(opts.as), event);
        if (failed > 0) process.exitCode = exitProblem;
      });
  };
  transition('ack', 'acknowledge', 'acknowledged', 'acknowledge alerts (open → acknowledged): someone is on it; the channels are told');
  transition('resolve', 'resolve', 'resolved', 'resolve alerts (open or acknowledged → resolved); the channels are told (tickets close)');
  transition('reopen', 'reopen', 'reopened', 'reopen resolved or acknowledged alerts (→ open); the channels are told');

  alerts
    .command('assign')
    .description("assign an alert to someone ('-' to unassign)")
    .argument('<id>', 'alert id or a unique prefix')
    .argument('<user>', "who takes it, or '-' for nobody")
    .option('--note <text>', 'a note recorded with the change')
    .option(...actorOption)
    .action(async (id: string, user: string, opts: { note?: string; as?: string }, cmd: Command) => {
      const { config: cfg } = config(cmd);
      const failed = await applyToEach(cfg, [id], { kind: 'assign', assignee: user === '-' ? null : user, ...(opts.note ? { note: opts.note } : {}) }, actorName(opts.as), null);
      if (failed > 0) process.exitCode = exitProblem;
    });

  alerts
    .command('note')
    .description('add a note to an alert (kept in its history)')
    .argument('<id>', 'alert id or a unique prefix')
    .argument('<text...>', 'the note')
    .option(...actorOption)
    .action(async (id: string, text: string[], opts: { as?: string }, cmd: Command) => {
      const { config: cfg } = config(cmd);
      const failed = await applyToEach(cfg, [id], { kind: 'note', note: text.join(' ') }, actorName(opts.as), null);
      if (failed > 0) process.exitCode = exitProblem;
    });
}

function actorName(given?: string): string {
  const name = (given ?? process.env.HAETAE_USER ?? safeUser()).trim();
  if (!name) throw new HaetaeError('HAETAE_USAGE', ['say who is acting with --as <user> (or set HAETAE_USER)']);
  return name;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
function parseStatuses(text: string): Array<(typeof STATUSES)[number]> {
  if (text.trim() === 'all') return [...STATUSES];
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) {
    if (!(STATUSES as readonly string[]).includes(p)) throw new HaetaeError('HAETAE_USAGE', [`--status '${p}': use open, acknowledged, resolved (comma-separated) or all`]);
  }
  return parts as Array<(typeof STATUSES)[number]>;
}

async function withEs(cfg: LoadedConfig['config'], fn: (es: Client) => Promise<void>): Promise<void> {
  const es = createEsClient(cfg.elasticsearch);
  try {
    await fn(es);
  } finally {
    await es.close();
  }
}

/**
 * Applies the action to each alert in turn, one line per alert (done, or why not), and queues
 * the notification of each state change for the configured channels. Returns how many failed.
 */
async function applyToEach(cfg: LoadedConfig['config'], ids: string[], action: AlertAction, actor: string, event: NotificationEvent | null): Promise<number> {
  let failed = 0;
  const notifications = openAlertNotifications(cfg, event !== null);
  try {
    await withEs(cfg, async (es) => {
      const ctx = { es, alertsIndex: cfg.elasticsearch.alertsIndex, router: notifications.router, queue: notifications.queue, settings: notifications.settings };
      for (const id of ids) {
        let done;
        try {
          done = await applyAlertChange(ctx, id, action, { name: actor, via: 'cli' });
        } catch (err) {
          if (!(err instanceof AlertTransitionError) && (err as { code?: string }).code !== 'HAETAE_ALERT_NOT_FOUND') throw err;
          failed++;
          process.stderr.write(`${id}: ${messageOf(err)}\n`);
          continue;
        }
        const a = done.transition.after.alert;
        process.stdout.write(`${a.id.slice(0, 12)}  ${describe(action, done.transition.before.alert.status, a.status, a.assignee ?? null)}  (${done.transition.after.rule.title})\n`);
        if (done.queueError) {
          failed++;
          process.stderr.write(`${a.id.slice(0, 12)}: the change is stored, but its notification could not be queued (${messageOf(done.queueError)}); the channels were not told.\n`);
        }
      }
    });
  } finally {
    await notifications.close();
  }
  return failed;
}

function describe(action: AlertAction, from: string, to: string, assignee: string | null): string {
  switch (action.kind) {
    case 'assign':
      return assignee ? `assigned to ${assignee}` : 'unassigned';
    case 'note':
      return 'note added';
    default:
      return `${from} → ${to}`;
  }
}

function defaultOccurrences(a: Alert): Occurrences {
  return { count: a.events.count, first: a['@timestamp'], last: a['@timestamp'] };
}

/** The `alerts list` table, cut to the terminal width. */
export function formatAlertTable(alerts: readonly Alert[], occ: ReadonlyMap<string, Occurrences>, width: number): string {
  const rows = alerts.map((a) => {
    const o = occ.get(a.alert.id) ?? defaultOccurrences(a);
    return [a.alert.id.slice(0, 12), a.alert.status, a.alert.severity, String(o.count), (o.last ?? a['@timestamp']).replace(/\.\d+Z$/, 'Z'), a.alert.assignee ?? '-', a.message];
  });
  const header = ['ID', 'STATUS', 'SEVERITY', 'COUNT', 'LAST SEEN', 'ASSIGNEE', 'SUMMARY'];
  const widths = header.map((h, i) => (i === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (r: string[]): string => {
    const head = r.slice(0, -1).map((c, i) => c.padEnd(widths[i]!)).join('  ');
    const room = Math.max(20, width - head.length - 2);
    const last = r[r.length - 1]!;
    return `${head}  ${last.length > room ? `${last.slice(0, room - 1)}…` : last}`;
  };
  return [line(header), ...rows.map(line)].join('\n');
}

/** `alerts show`: everything an analyst needs to decide, then the history. */
export function formatAlert(a: Alert, o: Occurrences): string {
  const x = a.alert;
  const lines = [
    `alert      ${x.id}`,
    `status     ${x.status}${x.status === 'acknowledged' && x.acknowledged_by ? ` by ${x.acknowledged_by}` : ''}${x.acknowledged_at && x.status === 'acknowledged' ? ` at ${x.acknowledged_at}` : ''}${x.status === 'resolved' && x.resolved_at ? ` at ${x.resolved_at}` : ''}${x.resolved_by ? ` (recovered by event ${x.resolved_by})` : ''}`,
    `severity   ${x.severity}`,
    `assignee   ${x.assignee ?? '-'}`,
    `rule       ${a.rule.title} (${a.rule.id})${a.rule.level ? `, level ${a.rule.level}` : ''}`,
    `summary    ${a.message}`,
    ...(x.group_key ? [`group      ${x.group_key}`] : []),
    ...(x.kind ? [`kind       ${x.kind}${x.value !== undefined ? `, value ${x.value}` : ''}`] : []),
    ...(x.window ? [`window     ${x.window.start} – ${x.window.end}`] : []),
    `raised     ${x.created}`,
    `seen       ${o.count} time${o.count === 1 ? '' : 's'}, first ${o.first ?? '-'}, last ${o.last ?? '-'}`,
    `events     ${a.events.ids.slice(0, 10).join(', ')}${a.events.ids.length > 10 ? ` (+${a.events.ids.length - 10} more)` : ''} in ${a.events.index}`,
    ...(x.dedup_key ? [`dedup key  ${x.dedup_key}`] : []),
    ...(a.host?.hostname ? [`host       ${a.host.hostname}`] : []),
    ...(a.source?.ip ? [`source ip  ${a.source.ip}`] : []),
    '',
    `history${x.history_dropped ? ` (${x.history_dropped} older entries dropped)` : ''}`,
  ];
  const history = x.history ?? [];
  if (history.length === 0) lines.push('  (no changes since it was raised)');
  for (const h of history) {
    const what = h.action === 'assign' ? (h.assignee ? `assigned to ${h.assignee}` : 'unassigned') : h.action === 'note' ? 'note' : `${h.from} → ${h.to}`;
    lines.push(`  ${h.at}  ${h.actor} (${h.via})  ${what}${h.note ? `: ${h.note}` : ''}`);
  }
  return lines.join('\n');
}

/** The alert's notification jobs from the queue, or why they could not be read (Redis away: 5 s at most). */
async function notificationAttempts(cfg: LoadedConfig['config'], alertId: string): Promise<NotificationJobView[] | string> {
  const queue = createNotificationQueue(queueSettings(cfg));
  queue.on('error', () => undefined);
  try {
    let result: NotificationJobView[] | string = `Redis at ${redactUrl(cfg.redis.url)} did not answer within 5 s`;
    const read = notificationsOf(queue, alertId).then((v) => { result = v; }, (err: unknown) => { result = messageOf(err); });
    await settlesWithin(read, 5_000);
    return result;
  } finally {
    await settlesWithin(queue.close(), 2_000);
  }
}

/** `alerts show`: every delivery of every change to every channel, and how it went. */
export function formatNotifications(jobs: NotificationJobView[] | string): string {
  if (typeof jobs === 'string') return `notifications\n  (not available: ${jobs})`;
  if (jobs.length === 0) return 'notifications\n  (none queued)';
  const lines = ['notifications'];
  for (const j of jobs) {
    const tries = `${j.attemptsMade} attempt${j.attemptsMade === 1 ? '' : 's'}`;
    lines.push(`  ${j.createdAt ?? '-'}  ${j.event} → ${j.channel}: ${j.state}${j.attemptsMade > 0 ? ` after ${tries}` : ''}${j.failedReason ? ` — ${j.failedReason}` : ''}`);
  }
  return lines.join('\n');
}
