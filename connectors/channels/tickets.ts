import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Alert } from '../../schemas/generated/types';
import type { TicketChannel } from '../../pipeline/notify/channels';
import type { NotificationEvent } from '../../pipeline/notify/job';
import { WebhookDeliveryError, postJson } from './webhook';
import type { OutboundGuard } from './outbound';

/**
 * Tickets that follow the problem: one Jira issue or ServiceNow incident per alert dedup key (rule
 * and group), whatever throttle periods, correlation windows and reopenings the alerts of that
 * problem go through.
 *
 * Exactly one ticket, even across crashes: the alert → ticket mapping is kept in Redis, and before
 * creating a ticket the remote system is searched for one carrying the dedup key (Jira: the label
 * `haetae-<dedup key>`; ServiceNow: correlation_id), so a notifier killed between the create and
 * the mapping store finds its ticket on the retry instead of making a second one. A per-problem
 * lock in Redis keeps two deliveries of one problem (two notifier workers) from both creating.
 */
export interface TicketRef {
  /** Jira issue key (SEC-42) or ServiceNow sys_id. */
  id: string;
  /** What people call it: the Jira key, the incident number. */
  display: string;
  /** Alert ids already recorded on the ticket (the last few), so a retried delivery adds nothing. */
  alerts: string[];
}

const MAPPING_TTL_S = 90 * 24 * 3600;
const LOCK_TTL_MS = 60_000;
const REMEMBERED_ALERTS = 20;

export class TicketStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'haetae:tickets') {}

  private key(channel: string, dedup: string): string {
    return `${this.prefix}:${channel}:${dedup}`;
  }

  async get(channel: string, dedup: string): Promise<TicketRef | null> {
    const v = await this.redis.get(this.key(channel, dedup));
    return v ? (JSON.parse(v) as TicketRef) : null;
  }

  async set(channel: string, dedup: string, ref: TicketRef): Promise<void> {
    await this.redis.set(this.key(channel, dedup), JSON.stringify({ ...ref, alerts: ref.alerts.slice(-REMEMBERED_ALERTS) }), 'EX', MAPPING_TTL_S);
  }

  /**
   * Runs `fn` holding the problem's lock; another holder makes this a retryable failure. `holder`
   * names the delivery (the job id): a lock left by an earlier attempt of the same job — one cut
   * off by a Redis outage before it could release, or a notifier killed mid-delivery — is taken
   * over at once instead of blocking the problem's ticket for the lock's 60 s. BullMQ runs one
   * attempt of a job at a time, so that holder is gone.
   */
  async locked<T>(channel: string, dedup: string, label: string, fn: () => Promise<T>, holder: string = randomUUID()): Promise<T> {
    const lock = `${this.key(channel, dedup)}:lock`;
    const took = await this.redis.eval("local v = redis.call('get', KEYS[1]) if v == false or v == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0", 1, lock, holder, LOCK_TTL_MS);
    if (took !== 1) {
      throw new WebhookDeliveryError('HAETAE_WEBHOOK_NETWORK', [`${label}: another delivery is working on the ticket of problem ${dedup}; retrying`], true, 'TICKET_LOCKED');
    }
    try {
      return await fn();
    } finally {
      // Only our own lock is released (it may have expired and been taken meanwhile).
      await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, lock, holder).catch(() => undefined);
    }
  }

  /** True at most once per `ms` per ticket: update comments are throttled, state changes are not. */
  async mayComment(channel: string, dedup: string, ms: number): Promise<boolean> {
    if (ms <= 0) return true;
    return (await this.redis.set(`${this.key(channel, dedup)}:comment`, '1', 'PX', ms, 'NX')) === 'OK';
  }
}

interface Texts {
  /** One line: the ticket's title. */
  summary: string;
  /** The rendered template: the ticket's description, or the comment on an update. */
  body: string;
}

/** A ticket system as the delivery logic needs it. */
interface TicketSystem {
  find(dedup: string): Promise<{ ref: Omit<TicketRef, 'alerts'>; open: boolean } | null>;
  /** Whether the ticket is still being worked (not done, resolved or closed). */
  isOpen(ref: Omit<TicketRef, 'alerts'>): Promise<boolean>;
  create(alert: Alert, t: Texts): Promise<Omit<TicketRef, 'alerts'>>;
  comment(ref: Omit<TicketRef, 'alerts'>, text: string): Promise<void>;
  resolve(ref: Omit<TicketRef, 'alerts'>, text: string): Promise<void>;
  reopen(ref: Omit<TicketRef, 'alerts'>, text: string): Promise<void>;
}

/**
 * Delivers one alert transition to a ticket channel. opened: create the problem's ticket, or — when
 * it has one already — record this alert on it (a throttled comment); acknowledged: a comment;
 * resolved: resolve (Jira transition / ServiceNow state) with a comment; reopened: reopen.
 */
export async function deliverTicket(channel: TicketChannel, store: TicketStore, alert: Alert, event: NotificationEvent, t: Texts, guard: OutboundGuard | null = null, opts: { jobId?: string; failpoint?: ((name: 'after-ticket-create') => void) | undefined } = {}): Promise<string> {
  const { failpoint } = opts;
  const dedup = alert.alert.dedup_key ?? alert.alert.id;
  const label = `${channel.type} channel '${channel.name}'`;
  const system = channel.type === 'jira' ? jira(channel, label, guard) : serviceNow(channel, label, guard);
  const last = alert.alert.history?.at(-1);
  const who = last ? ` by ${last.actor}${last.note ? `: ${last.note}` : ''}` : '';
  return store.locked(channel.name, dedup, label, async () => {
    let ref = await store.get(channel.name, dedup);
    if (!ref) {
      // No mapping: a ticket made before a crash (or by another haetae) is found by its dedup key.
      const found = await system.find(dedup);
      if (found && (found.open || event !== 'opened')) {
        ref = { ...found.ref, alerts: [] };
        if (event === 'opened') {
          // Most likely this very delivery created it and died before storing the mapping: take it
          // over without a comment (at worst one "seen again" comment is not written).
          await store.set(channel.name, dedup, { ...ref, alerts: [alert.alert.id] });
          return `found ${ref.display} (made before the mapping was stored)`;
        }
      }
    }
    if (event === 'opened') {
      if (!ref) {
        const created = await system.create(alert, t);
        // Crash tests (HAETAE_FAILPOINT=after-ticket-create) die here: the ticket exists, its mapping does not.
        failpoint?.('after-ticket-create');
        await store.set(channel.name, dedup, { ...created, alerts: [alert.alert.id] });
        return `created ${created.display}`;
      }
      if (ref.alerts.includes(alert.alert.id)) return `${ref.display} already has this alert`;
      if (!(await system.isOpen(ref))) {
        // The ticket was closed after the problem's last alert: a problem back after that is a new ticket.
        const created = await system.create(alert, t);
        failpoint?.('after-ticket-create');
        await store.set(channel.name, dedup, { ...created, alerts: [alert.alert.id] });
        return `created ${created.display} (${ref.display} is closed)`;
      }
      if (await store.mayComment(channel.name, dedup, channel.updateThrottleMs)) {
        await system.comment(ref, `The problem was seen again (alert ${alert.alert.id}, ${alert['@timestamp']}):\n${t.body}`);
      }
      await store.set(channel.name, dedup, { ...ref, alerts: [...ref.alerts, alert.alert.id] });
      return `updated ${ref.display}`;
    }
    if (!ref) return 'no ticket for this problem (nothing to update)';
    await store.set(channel.name, dedup, ref);
    if (event === 'acknowledged') await system.comment(ref, `Acknowledged in haetae${who}.`);
    else if (event === 'resolved') await system.resolve(ref, `Resolved in haetae${who}.`);
    else await system.reopen(ref, `Reopened in haetae${who}.`);
    return `${event} ${ref.display}`;
  }, opts.jobId);
}

async function call(label: string, guard: OutboundGuard | null, url: string, authorization: string, timeoutMs: number, method: 'GET' | 'POST' | 'PATCH', body?: unknown): Promise<{ status: number; json: any }> {
  const res = await postJson({ url, method, timeoutMs, label, headers: { authorization }, ...(guard ? { guard } : {}) }, body === undefined ? undefined : JSON.stringify(body));
  try {
    return { status: res.status, json: res.text ? JSON.parse(res.text) : null };
  } catch {
    throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, `${label}: not JSON: ${res.text.slice(0, 200)}`], true, `HTTP_${res.status}`);
  }
}

const cut = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Jira REST API v2 (Cloud: search/jql; Data Center: search). */
function jira(c: Extract<TicketChannel, { type: 'jira' }>, label: string, guard: OutboundGuard | null): TicketSystem {
  const api = (path: string, method: 'GET' | 'POST', body?: unknown) => call(label, guard, `${c.url}/rest/api/2/${path}`, c.authorization, c.timeoutMs, method, body);
  const dedupLabel = (dedup: string): string => `haetae-${dedup}`;
  const transition = async (key: string, name: string, text: string, skipIfDone: boolean | null): Promise<void> => {
    const issue = await api(`issue/${encodeURIComponent(key)}?fields=status`, 'GET');
    const done = issue.json?.fields?.status?.statusCategory?.key === 'done';
    // Already where the transition leads (a retried delivery, or a person was faster): nothing to do.
    if (skipIfDone !== null && done === skipIfDone) return;
    const list = await api(`issue/${encodeURIComponent(key)}/transitions`, 'GET');
    const transitions = (list.json?.transitions ?? []) as Array<{ id: string; name: string }>;
    const t = transitions.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!t) throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [400, `${label}: issue ${key} has no transition '${name}' now (available: ${transitions.map((x) => x.name).join(', ') || 'none'}); set resolveTransition/reopenTransition`], false, 'JIRA_TRANSITION');
    await api(`issue/${encodeURIComponent(key)}/transitions`, 'POST', { transition: { id: t.id }, update: { comment: [{ add: { body: text } }] } });
  };
  return {
    async find(dedup) {
      const jql = `project = "${c.project}" AND labels = "${dedupLabel(dedup)}" ORDER BY created DESC`;
      const path = c.deployment === 'cloud' ? 'search/jql' : 'search';
      const res = await api(`${path}?jql=${encodeURIComponent(jql)}&fields=status&maxResults=5`, 'GET');
      const issues = (res.json?.issues ?? []) as Array<{ key: string; fields?: { status?: { statusCategory?: { key?: string } } } }>;
      const open = issues.find((i) => i.fields?.status?.statusCategory?.key !== 'done');
      const pick = open ?? issues[0];
      return pick ? { ref: { id: pick.key, display: pick.key }, open: Boolean(open) } : null;
    },
    async isOpen(ref) {
      const issue = await api(`issue/${encodeURIComponent(ref.id)}?fields=status`, 'GET');
      return issue.json?.fields?.status?.statusCategory?.key !== 'done';
    },
    async create(alert, t) {
      const res = await api('issue', 'POST', {
        fields: {
          project: { key: c.project },
          issuetype: { name: c.issueType },
          summary: cut(t.summary, 255),
          description: t.body,
          labels: [...c.labels, dedupLabel(alert.alert.dedup_key ?? alert.alert.id)],
        },
      });
      const key = String(res.json?.key ?? '');
      if (!key) throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, `${label}: the created issue has no key`], true, 'JIRA_CREATE');
      return { id: key, display: key };
    },
    async comment(ref, text) {
      await api(`issue/${encodeURIComponent(ref.id)}/comment`, 'POST', { body: text });
    },
    resolve: (ref, text) => transition(ref.id, c.resolveTransition, text, true),
    reopen: (ref, text) => transition(ref.id, c.reopenTransition, text, false),
  };
}

const SN_RESOLVED = '6';
const SN_CLOSED = new Set(['7', '8']);
const SN_URGENCY: Record<Alert['alert']['severity'], string> = { critical: '1', high: '1', medium: '2', low: '3', informational: '3' };

/** ServiceNow Table API on the incident table (or `table`). */
function serviceNow(c: Extract<TicketChannel, { type: 'servicenow' }>, label: string, guard: OutboundGuard | null): TicketSystem {
  const api = (path: string, method: 'GET' | 'POST' | 'PATCH', body?: unknown) => call(label, guard, `${c.url}/api/now/table/${c.table}${path}`, c.authorization, c.timeoutMs, method, body);
  return {
    async find(dedup) {
      const q = encodeURIComponent(`correlation_id=${dedup}^ORDERBYDESCsys_created_on`);
      const res = await api(`?sysparm_query=${q}&sysparm_fields=sys_id,number,state&sysparm_limit=5`, 'GET');
      const rows = (res.json?.result ?? []) as Array<{ sys_id: string; number: string; state: string }>;
      // Closed and canceled incidents stay closed: a problem back after that is a new incident.
      const usable = rows.find((r) => !SN_CLOSED.has(String(r.state)));
      if (!usable) return null;
      return { ref: { id: usable.sys_id, display: usable.number }, open: String(usable.state) !== SN_RESOLVED };
    },
    async isOpen(ref) {
      const res = await api(`/${ref.id}?sysparm_fields=state`, 'GET');
      const state = String((res.json?.result as { state?: string } | undefined)?.state ?? '');
      return state !== SN_RESOLVED && !SN_CLOSED.has(state);
    },
    async create(alert, t) {
      const res = await api('', 'POST', {
        short_description: cut(t.summary, 160),
        description: t.body,
        correlation_id: alert.alert.dedup_key ?? alert.alert.id,
        correlation_display: 'haetae',
        urgency: SN_URGENCY[alert.alert.severity],
        impact: SN_URGENCY[alert.alert.severity],
        ...(c.assignmentGroup ? { assignment_group: c.assignmentGroup } : {}),
        ...(c.callerId ? { caller_id: c.callerId } : {}),
      });
      const r = res.json?.result as { sys_id?: string; number?: string } | undefined;
      if (!r?.sys_id) throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, `${label}: the created incident has no sys_id`], true, 'SN_CREATE');
      return { id: r.sys_id, display: r.number ?? r.sys_id };
    },
    async comment(ref, text) {
      await api(`/${ref.id}`, 'PATCH', { work_notes: text });
    },
    async resolve(ref, text) {
      await api(`/${ref.id}`, 'PATCH', { state: SN_RESOLVED, close_code: c.closeCode, close_notes: text, work_notes: text });
    },
    async reopen(ref, text) {
      await api(`/${ref.id}`, 'PATCH', { state: '2', work_notes: text });
    },
  };
}
