import fs from 'node:fs';
import path from 'node:path';
import type { Alert } from '../../schemas/generated/types';
import type { LoadedConfig } from '../config/load';
import { HaetaeError } from '../errors/catalog';

type Config = LoadedConfig['config'];
type ChannelConfig = NonNullable<Config['notifier']['channels']>[number];
type RouteConfig = NonNullable<Config['notifier']['routes']>[number];

/** A configured channel with its secrets read (from the file or the config) and its template text. */
export type ResolvedChannel =
  | { name: string; type: 'webhook'; url: string; secret?: string; timeoutMs: number; template?: TemplateSource }
  | { name: string; type: 'slack' | 'teams'; url: string; timeoutMs: number; template?: TemplateSource }
  | { name: string; type: 'pagerduty'; url: string; routingKey: string; timeoutMs: number; template?: TemplateSource }
  | { name: string; type: 'email'; smtp: SmtpSettings; from: string; to: readonly string[]; cc: readonly string[]; subject: string; timeoutMs: number; template?: TemplateSource }
  | TicketChannel;

export type TicketChannel =
  | { name: string; type: 'jira'; url: string; deployment: 'cloud' | 'datacenter'; project: string; issueType: string; authorization: string; resolveTransition: string; reopenTransition: string; labels: readonly string[]; updateThrottleMs: number; timeoutMs: number; template?: TemplateSource }
  | { name: string; type: 'servicenow'; url: string; table: string; authorization: string; assignmentGroup?: string; callerId?: string; closeCode: string; updateThrottleMs: number; timeoutMs: number; template?: TemplateSource };

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  user?: string;
  password?: string;
  rejectUnauthorized: boolean;
  ca?: string;
}

export const DEFAULT_EMAIL_SUBJECT = '[{{ event }}] {{ alert.alert.severity | upcase }} {{ alert.rule.title }}';

export interface ChannelLimits {
  maxConcurrent: number;
  maxPerMinute?: number;
}

export interface TemplateSource {
  file: string;
  text: string;
}

const PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * The channels of the config: `notifier.channels`, plus the older `notifier.webhook` section as the
 * channel named `webhook`. Secrets come from their *File keys (relative to the config file) or the
 * config; a missing one, or two channels with one name, stop start-up naming the key.
 */
export function resolveChannels(cfg: Config, baseDir: string, where: string): Array<ResolvedChannel & { limits: ChannelLimits }> {
  const out: ResolvedChannel[] = [];
  const limits = new Map<string, ChannelLimits>();
  const bad = (key: string, why: string): never => { throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `${key}: ${why}`]); };
  const read = (key: string, file: string): string => {
    const full = path.resolve(baseDir, file);
    try {
      const text = fs.readFileSync(full, 'utf8').trim();
      if (!text) bad(key, `${full} is empty`);
      return text;
    } catch (err) {
      if (err instanceof HaetaeError) throw err;
      return bad(key, `cannot read ${full}: ${(err as Error).message}`);
    }
  };
  const legacy = cfg.notifier.webhook;
  if (legacy?.url) {
    const secret = legacy.secret ?? (legacy.secretFile ? read('/notifier/webhook/secretFile', legacy.secretFile) : undefined);
    out.push({ name: 'webhook', type: 'webhook', url: legacy.url, ...(secret ? { secret } : {}), timeoutMs: legacy.timeoutMs ?? 10_000 });
    limits.set('webhook', { maxConcurrent: cfg.notifier.concurrency });
  }
  (cfg.notifier.channels ?? []).forEach((c: ChannelConfig, i) => {
    const key = `/notifier/channels/${i}`;
    limits.set(c.name, { maxConcurrent: c.maxConcurrent ?? cfg.notifier.concurrency, ...(c.maxPerMinute ? { maxPerMinute: c.maxPerMinute } : {}) });
    if (out.some((o) => o.name === c.name)) bad(`${key}/name`, `a channel named '${c.name}' is already configured${c.name === 'webhook' ? ' (notifier.webhook is the channel named webhook)' : ''}`);
    const timeoutMs = c.timeoutMs ?? 10_000;
    const template = c.template ? { file: path.resolve(baseDir, c.template), text: read(`${key}/template`, c.template) } : undefined;
    const withTemplate = template ? { template } : {};
    switch (c.type) {
      case 'webhook': {
        const secret = c.secret ?? (c.secretFile ? read(`${key}/secretFile`, c.secretFile) : undefined);
        out.push({ name: c.name, type: 'webhook', url: c.url, ...(secret ? { secret } : {}), timeoutMs, ...withTemplate });
        break;
      }
      case 'slack':
      case 'teams': {
        const url = c.url ?? (c.urlFile ? read(`${key}/urlFile`, c.urlFile) : bad(key, `a ${c.type} channel needs url or urlFile`));
        out.push({ name: c.name, type: c.type, url, timeoutMs, ...withTemplate });
        break;
      }
      case 'email': {
        const m = c.smtp;
        const password = m.password ?? (m.passwordFile ? read(`${key}/smtp/passwordFile`, m.passwordFile) : undefined);
        if (password && !m.user) bad(`${key}/smtp/user`, 'a password needs a user');
        const ca = m.caFile ? read(`${key}/smtp/caFile`, m.caFile) : undefined;
        const smtp: SmtpSettings = { host: m.host, port: m.port ?? 587, secure: m.secure ?? false, requireTLS: m.requireTLS ?? false, rejectUnauthorized: m.rejectUnauthorized ?? true, ...(m.user ? { user: m.user } : {}), ...(password ? { password } : {}), ...(ca ? { ca } : {}) };
        out.push({ name: c.name, type: 'email', smtp, from: c.from, to: [...c.to], cc: [...(c.cc ?? [])], subject: c.subject ?? DEFAULT_EMAIL_SUBJECT, timeoutMs, ...withTemplate });
        break;
      }
      case 'jira': {
        const token = c.token ?? (c.tokenFile ? read(`${key}/tokenFile`, c.tokenFile) : bad(key, 'a jira channel needs token or tokenFile'));
        const authorization = c.user ? `Basic ${Buffer.from(`${c.user}:${token}`).toString('base64')}` : `Bearer ${token}`;
        const deployment = c.deployment ?? (new URL(c.url).hostname.endsWith('.atlassian.net') ? 'cloud' : 'datacenter');
        out.push({ name: c.name, type: 'jira', url: c.url.replace(/\/+$/, ''), deployment, project: c.project, issueType: c.issueType ?? 'Task', authorization, resolveTransition: c.resolveTransition ?? 'Done', reopenTransition: c.reopenTransition ?? 'Reopen', labels: [...(c.labels ?? ['haetae'])], updateThrottleMs: c.updateThrottleMs ?? 900_000, timeoutMs, ...withTemplate });
        break;
      }
      case 'servicenow': {
        const password = c.password ?? (c.passwordFile ? read(`${key}/passwordFile`, c.passwordFile) : bad(key, 'a servicenow channel needs password or passwordFile'));
        out.push({ name: c.name, type: 'servicenow', url: c.url.replace(/\/+$/, ''), table: c.table ?? 'incident', authorization: `Basic ${Buffer.from(`${c.user}:${password}`).toString('base64')}`, ...(c.assignmentGroup ? { assignmentGroup: c.assignmentGroup } : {}), ...(c.callerId ? { callerId: c.callerId } : {}), closeCode: c.closeCode ?? 'Solved (Permanently)', updateThrottleMs: c.updateThrottleMs ?? 900_000, timeoutMs, ...withTemplate });
        break;
      }
      case 'pagerduty': {
        const routingKey = c.routingKey ?? (c.routingKeyFile ? read(`${key}/routingKeyFile`, c.routingKeyFile) : bad(key, 'a pagerduty channel needs routingKey or routingKeyFile'));
        out.push({ name: c.name, type: 'pagerduty', url: c.url ?? PAGERDUTY_URL, routingKey, timeoutMs, ...withTemplate });
        break;
      }
    }
  });
  return out.map((c) => ({ ...c, limits: limits.get(c.name)! }));
}

/**
 * Channel names every configured channel has, without reading secrets: what the worker needs to
 * route (it never sends). Routes and defaultChannels naming an unknown channel stop start-up.
 */
export function channelNames(cfg: Config, where: string): string[] {
  const names = [...(cfg.notifier.webhook?.url ? ['webhook'] : []), ...(cfg.notifier.channels ?? []).map((c) => c.name)];
  const check = (key: string, list: readonly string[]): void => {
    for (const [j, n] of list.entries()) {
      if (!names.includes(n)) throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `${key}/${j}: no channel named '${n}' (configured: ${names.join(', ') || 'none'})`]);
    }
  };
  (cfg.notifier.routes ?? []).forEach((r, i) => {
    check(`/notifier/routes/${i}/channels`, r.channels);
    try {
      localTime(new Date(), r.match.timezone ?? 'UTC');
    } catch {
      throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `/notifier/routes/${i}/match/timezone: '${r.match.timezone}' is not an IANA time zone (e.g. Europe/Berlin)`]);
    }
  });
  if (cfg.notifier.defaultChannels) check('/notifier/defaultChannels', cfg.notifier.defaultChannels);
  return names;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * Where an alert goes: the channels its rule names (haetae.channels), if it names any; else the
 * channels of every route whose match holds (severity, rule tags, rule id or title, time of day
 * and weekday in the route's zone); else notifier.defaultChannels (default: every channel).
 */
export class AlertRouter {
  private readonly routes: Array<RouteConfig & { minutes?: [number, number] }>;

  constructor(private readonly cfg: Config['notifier'], readonly channels: readonly string[]) {
    this.routes = (cfg.routes ?? []).map((r) => {
      const m = r.match.hours ? /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(r.match.hours) : null;
      return m ? { ...r, minutes: [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])] } : { ...r };
    });
  }

  route(alert: Alert, ruleChannels: readonly string[] | undefined, now: Date): string[] {
    if (ruleChannels) return this.channels.filter((c) => ruleChannels.includes(c));
    const chosen = new Set<string>();
    for (const r of this.routes) if (this.matches(r, alert, now)) for (const c of r.channels) chosen.add(c);
    if (chosen.size > 0) return this.channels.filter((c) => chosen.has(c));
    const fallback = this.cfg.defaultChannels;
    return fallback ? this.channels.filter((c) => fallback.includes(c)) : [...this.channels];
  }

  private matches(r: RouteConfig & { minutes?: [number, number] }, alert: Alert, now: Date): boolean {
    const m = r.match;
    if (m.severity && !m.severity.includes(alert.alert.severity)) return false;
    if (m.tags && !m.tags.some((t) => alert.rule.tags?.includes(t))) return false;
    if (m.rule && !m.rule.some((x) => x === alert.rule.id || x === alert.rule.title)) return false;
    if (r.minutes || m.days) {
      const local = localTime(now, m.timezone ?? 'UTC');
      if (m.days && !m.days.includes(DAYS[local.day]!)) return false;
      if (r.minutes) {
        const [from, to] = r.minutes;
        const inside = from <= to ? local.minutes >= from && local.minutes < to : local.minutes >= from || local.minutes < to;
        if (!inside) return false;
      }
    }
    return true;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localTime(now: Date, zone: string): { day: number; minutes: number } {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]));
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!);
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * The channels of one alert where a router may be absent (unit tests, tools): with one, the
 * router decides; without, the rule's channels among the configured ones, or all of them.
 */
export function routeAlert(router: AlertRouter | undefined, configured: readonly string[], alert: Alert, ruleChannels: readonly string[] | undefined, now: Date): readonly string[] {
  if (router) return router.route(alert, ruleChannels, now);
  return ruleChannels ? configured.filter((c) => ruleChannels.includes(c)) : configured;
}
