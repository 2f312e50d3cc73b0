import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoadedConfig } from '../config/load';
import type { Logger } from '../telemetry/logger';
import { alertsOfProblem } from '../../connectors/elasticsearch/alert-store';
import { AlertTransitionError, type AlertAction } from '../alert/lifecycle';
import { applyAlertChange, type AlertChanges } from '../alert/apply';
import { messageOf } from '../errors/catalog';

/**
 * Inbound ticket webhooks: the ticket side of "tickets that follow the problem". A Jira issue or
 * ServiceNow incident that is resolved or closed resolves its problem's open alerts; a comment or
 * work note written there becomes a note on the problem's latest alert. The problem is found by
 * the dedup key haetae put on the ticket (Jira label `haetae-<dedup key>`, ServiceNow
 * correlation_id). Requests carry no API key: they prove themselves with the hook's shared secret
 * (header X-Haetae-Hook-Secret, or an HMAC-SHA256 of the body in X-Hub-Signature). Changes made
 * here are not sent back to channels of the same system (no loop).
 */
export interface HookSettings {
  secret: string;
}

/** Comments haetae itself writes on tickets; they come back through the webhook and are not notes. */
const OWN_COMMENTS = /^(The problem was seen again|Acknowledged in haetae|Resolved in haetae|Reopened in haetae)/;
const MAX_NOTE = 4_000;

export function hookSecrets(cfg: LoadedConfig['config'], baseDir: string): { jira: HookSettings | null; servicenow: HookSettings | null } {
  const one = (h: { secret?: string; secretFile?: string } | undefined, key: string): HookSettings | null => {
    if (!h) return null;
    const secret = h.secret ?? (h.secretFile ? fs.readFileSync(path.resolve(baseDir, h.secretFile), 'utf8').trim() : '');
    if (secret.length < 16) throw new Error(`api.hooks.${key}: the secret (secret or secretFile) must have at least 16 characters`);
    return { secret };
  };
  return { jira: one(cfg.api.hooks?.jira, 'jira'), servicenow: one(cfg.api.hooks?.servicenow, 'servicenow') };
}

function equal(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** True when the request carries the secret or a valid HMAC-SHA256 signature of its raw body. */
export function hookAuthentic(req: { headers: Record<string, string | string[] | undefined> }, raw: Buffer, secret: string): boolean {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const sig = header('x-hub-signature') ?? header('x-haetae-signature');
  if (sig) {
    const m = /^sha256=([0-9a-f]{64})$/i.exec(sig.trim());
    return m ? equal(m[1]!.toLowerCase(), crypto.createHmac('sha256', secret).update(raw).digest('hex')) : false;
  }
  const given = header('x-haetae-hook-secret');
  return given !== undefined && equal(given, secret);
}

interface TicketChange {
  system: 'jira' | 'servicenow';
  ticket: string;
  dedup: string | null;
  resolved: boolean;
  comment: { text: string; author: string } | null;
}

/** What a Jira webhook says: the issue's problem label, whether it is now done, a new comment. */
export function jiraChange(body: any): TicketChange | null {
  const issue = body?.issue;
  if (!issue || typeof issue.key !== 'string') return null;
  const labels: unknown[] = Array.isArray(issue.fields?.labels) ? issue.fields.labels : [];
  const label = labels.find((l): l is string => typeof l === 'string' && /^haetae-[0-9a-f]{32}$/.test(l));
  const statusDone = issue.fields?.status?.statusCategory?.key === 'done';
  const changedToDone = Array.isArray(body?.changelog?.items) && body.changelog.items.some((i: any) => i?.field === 'status' || i?.field === 'resolution');
  const event = String(body?.webhookEvent ?? '');
  const comment = event === 'comment_created' && typeof body?.comment?.body === 'string'
    ? { text: body.comment.body as string, author: String(body.comment.author?.displayName ?? body.comment.author?.name ?? 'jira') }
    : null;
  // Only a change of status (or resolution) into the done category resolves; a comment on a done issue does not.
  return { system: 'jira', ticket: issue.key, dedup: label ? label.slice('haetae-'.length) : null, resolved: event === 'jira:issue_updated' && statusDone && changedToDone, comment };
}

/** What the documented ServiceNow business rule posts: {number, correlation_id, state, comment, user}. */
export function serviceNowChange(body: any): TicketChange | null {
  if (!body || typeof body.number !== 'string') return null;
  const state = String(body.state ?? '');
  const dedup = typeof body.correlation_id === 'string' && /^[0-9a-f]{32}$/.test(body.correlation_id) ? body.correlation_id : null;
  const comment = typeof body.comment === 'string' && body.comment.trim() ? { text: body.comment as string, author: String(body.user ?? 'servicenow') } : null;
  return { system: 'servicenow', ticket: body.number, dedup, resolved: state === '6' || state === '7', comment };
}

/**
 * Registers POST /hooks/jira and /hooks/servicenow (each only when configured). The body is read
 * raw (the signature covers its bytes) and parsed here.
 */
export async function registerTicketHooks(app: FastifyInstance, cfg: LoadedConfig['config'], baseDir: string, changes: AlertChanges, logger: Logger): Promise<void> {
  const secrets = hookSecrets(cfg, baseDir);
  const channelsOf = (type: 'jira' | 'servicenow'): string[] => (cfg.notifier.channels ?? []).filter((c) => c.type === type).map((c) => c.name);
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req: FastifyRequest, raw: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, raw));
    for (const system of ['jira', 'servicenow'] as const) {
      scope.post(`/hooks/${system}`, { schema: { hide: true } }, async (req, reply) => {
        const settings = secrets[system];
        if (!settings) return reply.code(404).send({ error: { code: 'HAETAE_API_NOT_FOUND', message: `api.hooks.${system} is not configured` } });
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (!hookAuthentic(req, raw, settings.secret)) {
          req.outcome = 'HAETAE_API_AUTH';
          return reply.code(401).send({ error: { code: 'HAETAE_API_AUTH', message: `the ${system} hook needs its shared secret (X-Haetae-Hook-Secret) or a valid X-Hub-Signature` } });
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return reply.code(400).send({ error: { code: 'HAETAE_API_INPUT', message: 'the body is not JSON' } });
        }
        const change = system === 'jira' ? jiraChange(body) : serviceNowChange(body);
        if (!change) return reply.code(400).send({ error: { code: 'HAETAE_API_INPUT', message: system === 'jira' ? 'not a Jira issue webhook (no issue.key)' : 'not a ServiceNow incident payload (no number)' } });
        const result = await apply(change, channelsOf(system));
        logger.info({ audit: true, hook: system, ticket: change.ticket, ...result }, `Ticket hook ${system} ${change.ticket}: ${result.resolved.length} alerts resolved, ${result.noted ? 'a note added' : 'no note'}${result.ignored ? ` (${result.ignored})` : ''}.`);
        return reply.code(200).send(result);
      });
    }
  });

  async function apply(change: TicketChange, skipChannels: readonly string[]): Promise<{ resolved: string[]; noted: string | null; ignored: string | null }> {
    if (!change.dedup) return { resolved: [], noted: null, ignored: 'the ticket carries no haetae problem key' };
    const actor = { name: `${change.system}:${change.ticket}`, via: 'ticket' as const };
    const resolved: string[] = [];
    let noted: string | null = null;
    if (change.resolved) {
      for (const a of await alertsOfProblem(changes.es, changes.alertsIndex, change.dedup, ['open', 'acknowledged'])) {
        if (await tryChange(a.alert.id, { kind: 'resolve', note: `${change.ticket} was resolved in ${change.system}` }, actor, skipChannels)) resolved.push(a.alert.id);
      }
    }
    if (change.comment && !OWN_COMMENTS.test(change.comment.text.trim())) {
      const [latest] = await alertsOfProblem(changes.es, changes.alertsIndex, change.dedup, ['open', 'acknowledged', 'resolved'], 1);
      const text = `${change.comment.author} in ${change.ticket}: ${change.comment.text.trim()}`;
      if (latest && (await tryChange(latest.alert.id, { kind: 'note', note: text.length > MAX_NOTE ? `${text.slice(0, MAX_NOTE - 1)}…` : text }, actor, skipChannels))) noted = latest.alert.id;
    }
    return { resolved, noted, ignored: null };
  }

  async function tryChange(id: string, action: AlertAction, actor: { name: string; via: 'ticket' }, skipChannels: readonly string[]): Promise<boolean> {
    try {
      const done = await applyAlertChange(changes, id, action, actor, { skipChannels });
      if (done.queueError) logger.warn(`Alert ${id} was changed by a ticket hook, but its notifications could not be queued: ${messageOf(done.queueError)}`);
      return true;
    } catch (err) {
      // Resolved meanwhile (by a person, or by the recovery that made haetae close the ticket): nothing to do.
      if (err instanceof AlertTransitionError) return false;
      throw err;
    }
  }
}
