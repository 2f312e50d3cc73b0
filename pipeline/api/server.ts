import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errors as esErrors, type Client } from '@elastic/elasticsearch';
import type { Queue } from 'bullmq';
import type { LoadedConfig } from '../config/load';
import type { Alert, NotificationJob } from '../../schemas/generated/types';
import type { Logger } from '../telemetry/logger';
import { redactUrl } from '../telemetry/logger';
import type { RoleHealth } from '../roles/readiness';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { createNotificationQueue, queueSettings } from '../../connectors/bullmq/queue';
import { AlertNotFoundError, findAlert, listAlerts, occurrencesOf, type Occurrences } from '../../connectors/elasticsearch/alert-store';
import { AlertTransitionError, type AlertAction } from '../alert/lifecycle';
import { applyAlertChange, type AlertChanges } from '../alert/apply';
import { AlertRouter, channelNames } from '../notify/channels';
import { messageOf } from '../errors/catalog';
import { settlesWithin } from '../delivery/settles';
import { parseTimeBound } from '../../cli/duration';
import { KeyRing, ROLE_RANK, type ApiPrincipal, type ApiRole } from './keys';
import { notificationsOf } from './notifications';
import { registerTicketHooks } from './hooks';
import * as S from './schemas';

/**
 * The HTTP API (`haetae run api`): alerts, their changes and their notification jobs, under
 * /api/v1, with an OpenAPI 3 document at /openapi.json. Every /api/v1 request carries an API key
 * (Authorization: Bearer, or X-API-Key); the key's role decides what it may do. Changes go through
 * the same code as `haetae alerts` (pipeline/alert/apply.ts), with the key's name as the actor and
 * `api` as where it came from, and each is logged (key name, route, alert, outcome). See docs/api.md.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The lowest role that may call the route; absent: no key needed (/healthz, /openapi.json). */
    minRole?: ApiRole;
    /** What the route does, for a 403 ("a viewer key may not acknowledge alerts"). */
    does?: string;
  }
  interface FastifyRequest {
    principal: ApiPrincipal | null;
    /** Error code of the answer ('ok' when it succeeded), for the audit line. */
    outcome: string;
  }
}

export const API_PREFIX = '/api/v1';

export class ApiError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiDeps {
  config: LoadedConfig['config'];
  es: Client;
  /** The notification queue: read for /notifications, written for state changes (when channels are configured). */
  queue: Queue<NotificationJob>;
  logger: Logger;
  now?: () => Date;
  /** Where relative paths of the config (hook secret files) are resolved. */
  baseDir?: string;
}

type Body = { error: { code: string; message: string } };
const errorBody = (code: string, message: string): Body => ({ error: { code, message } });
const errorResponses = {
  400: S.ErrorBody,
  401: S.ErrorBody,
  403: S.ErrorBody,
  404: S.ErrorBody,
  409: S.ErrorBody,
  503: S.ErrorBody,
};

/** The API as a fastify instance (not listening): `inject()` in tests, `listen()` in startApi. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const cfg = deps.config;
  const { logger, es, queue } = deps;
  const now = deps.now ?? (() => new Date());
  const keys = new KeyRing(cfg.api.keys);
  const router = new AlertRouter(cfg.notifier, channelNames(cfg, '(config)'));
  const changes: AlertChanges = {
    es,
    alertsIndex: cfg.elasticsearch.alertsIndex,
    router,
    queue: router.channels.length > 0 ? queue : null,
    settings: queueSettings(cfg),
    now,
  };

  const app = Fastify({
    logger: false,
    bodyLimit: cfg.api.bodyLimitBytes,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Query strings and path parameters are text and are coerced (limit=10 is a number); JSON bodies
  // are taken as sent ({"note": 5} is refused, not turned into "5"). Unknown body fields are
  // refused too (a typo such as "notes" must not pass as "no note").
  const validators = { coercing: newAjv(true), strict: newAjv(false) };
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.strict : validators.coercing).compile(schema));
  // Response schemas document the answers (OpenAPI); answers are sent as they are, unfiltered.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorateRequest('principal', null);
  app.decorateRequest('outcome', 'ok');

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'haetae API', version: '1', description: 'Alerts, their changes and their notifications. See docs/api.md.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key from api.keys (haetae api hash-key).' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      tags: [{ name: 'alerts', description: 'Alerts as analysts work them' }, { name: 'service' }],
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    const minRole = req.routeOptions.config?.minRole;
    if (!minRole) return;
    const key = presentedKey(req);
    const principal = key ? await keys.identify(key) : null;
    if (!principal) {
      // One answer for a missing and a wrong key: nothing says which keys or names exist.
      req.outcome = 'HAETAE_API_AUTH';
      return reply.code(401).header('www-authenticate', 'Bearer realm="haetae"').send(errorBody('HAETAE_API_AUTH', 'a valid API key is required (Authorization: Bearer <key>, or X-API-Key: <key>)'));
    }
    req.principal = principal;
    if (ROLE_RANK[principal.role] < ROLE_RANK[minRole]) {
      req.outcome = 'HAETAE_API_FORBIDDEN';
      return reply.code(403).send(errorBody('HAETAE_API_FORBIDDEN', `key '${principal.name}' has the role ${principal.role}, which may not ${req.routeOptions.config.does ?? 'do this'} (needs ${minRole} or admin)`));
    }
    return undefined;
  });

  // Every change is audited, whatever its outcome (the alert history records the ones that happened).
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !req.url.startsWith(API_PREFIX)) return;
    const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    const alert = (req.params as { id?: string } | undefined)?.id ?? null;
    const key = req.principal?.name ?? null;
    logger.info({ audit: true, keyName: key, route, alert, status: reply.statusCode, outcome: req.outcome }, `API ${route} by ${key ?? '(no valid key)'}${alert ? ` on alert ${alert}` : ''}: ${req.outcome} (${reply.statusCode}).`);
  });

  // A state change without a body (curl -X POST …) is a change without a note.
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && req.body === undefined) req.body = {};
  });

  app.setErrorHandler((err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const [status, code, message] = describeError(err);
    req.outcome = code;
    if (status >= 500) logger.error({ err, route: `${req.method} ${req.routeOptions.url ?? req.url}` }, `API ${req.method} ${req.url} failed: ${messageOf(err)}`);
    return reply.code(status).send(errorBody(code, message));
  });

  app.setNotFoundHandler((req, reply) => {
    req.outcome = 'HAETAE_API_NOT_FOUND';
    return reply.code(404).send(errorBody('HAETAE_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed in /openapi.json`));
  });

  app.get('/healthz', { schema: { tags: ['service'], summary: 'The API process is alive', security: [], response: { 200: S.Health } } }, async () => ({ status: 'ok' as const }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const withOccurrences = async (found: Alert[]): Promise<Array<Alert & { occurrences: Occurrences }>> => {
    const occ = await occurrencesOf(es, cfg.elasticsearch.alertEventsIndex, found.map((a) => a.alert.id));
    return found.map((a) => ({ ...a, occurrences: occ.get(a.alert.id) ?? { count: a.events.count, first: a['@timestamp'], last: a['@timestamp'] } }));
  };

  app.get(
    `${API_PREFIX}/alerts`,
    {
      config: { minRole: 'viewer', does: 'list alerts' },
      schema: { tags: ['alerts'], summary: 'Alerts newest first (by event time), with filters', querystring: S.ListQuery, response: { 200: S.AlertList, ...errorResponses } },
    },
    async (req) => {
      const q = req.query;
      const statusText = q.status ?? 'open,acknowledged';
      const status = statusText === 'all' ? (['open', 'acknowledged', 'resolved'] as const) : (statusText.split(',') as Array<Alert['alert']['status']>);
      const since = q.since ? parseTimeBound(q.since, now()) : null;
      if (q.since && !since) throw new ApiError(400, 'HAETAE_API_INPUT', `querystring.since: '${q.since}' is neither a duration (30m, 24h, 7d) nor a date`);
      const { total, alerts } = await listAlerts(es, cfg.elasticsearch.alertsIndex, {
        status: [...new Set(status)],
        ...(q.rule ? { ruleId: q.rule } : {}),
        ...(since ? { since: since.toISOString() } : {}),
        ...(q.assignee ? { assignee: q.assignee } : {}),
        limit: q.limit ?? 50,
      });
      return { total, alerts: await withOccurrences(alerts) };
    },
  );

  app.get(
    `${API_PREFIX}/alerts/:id`,
    {
      config: { minRole: 'viewer', does: 'read alerts' },
      schema: { tags: ['alerts'], summary: 'One alert, with its history and occurrences (id or a unique prefix of 6+)', params: S.AlertIdParams, response: { 200: S.AlertWithOccurrences, ...errorResponses } },
    },
    async (req) => {
      const { alert } = await findAlert(es, cfg.elasticsearch.alertsIndex, req.params.id);
      return (await withOccurrences([alert]))[0]!;
    },
  );

  const change = async (req: FastifyRequest, id: string, action: AlertAction) => {
    const done = await applyAlertChange(changes, id, action, { name: req.principal!.name, via: 'api' });
    if (done.queueError) {
      req.outcome = 'ok (notifications not queued)';
      logger.warn(`Alert ${done.transition.after.alert.id} was changed via the API (${action.kind}), but its notifications could not be queued: ${messageOf(done.queueError)}`);
    }
    return {
      alert: done.transition.after,
      change: done.transition.entry,
      notifications: { queued: done.queued, error: done.queueError ? `the change is stored, but its notifications could not be queued: ${messageOf(done.queueError)}` : null },
    };
  };

  const transitions = [
    ['acknowledge', 'acknowledge alerts', 'Acknowledge (open → acknowledged); the channels are told'],
    ['resolve', 'resolve alerts', 'Resolve (open or acknowledged → resolved); the channels are told'],
    ['reopen', 'reopen alerts', 'Reopen (resolved or acknowledged → open); the channels are told'],
  ] as const;
  for (const [kind, does, summary] of transitions) {
    app.post(
      `${API_PREFIX}/alerts/:id/${kind}`,
      {
        config: { minRole: 'analyst', does },
        schema: { tags: ['alerts'], summary, params: S.AlertIdParams, body: S.TransitionBody, response: { 200: S.ChangeResult, ...errorResponses } },
      },
      async (req) => change(req, req.params.id, { kind, ...(req.body?.note !== undefined ? { note: req.body.note } : {}) }),
    );
  }

  app.post(
    `${API_PREFIX}/alerts/:id/assign`,
    {
      config: { minRole: 'analyst', does: 'assign alerts' },
      schema: { tags: ['alerts'], summary: 'Assign the alert to someone (null: unassign)', params: S.AlertIdParams, body: S.AssignBody, response: { 200: S.ChangeResult, ...errorResponses } },
    },
    async (req) => change(req, req.params.id, { kind: 'assign', assignee: req.body.assignee, ...(req.body.note !== undefined ? { note: req.body.note } : {}) }),
  );

  app.post(
    `${API_PREFIX}/alerts/:id/notes`,
    {
      config: { minRole: 'analyst', does: 'add notes to alerts' },
      schema: { tags: ['alerts'], summary: "Add a note to the alert's history", params: S.AlertIdParams, body: S.NoteBody, response: { 200: S.ChangeResult, ...errorResponses } },
    },
    async (req) => change(req, req.params.id, { kind: 'note', note: req.body.note }),
  );

  app.get(
    `${API_PREFIX}/alerts/:id/notifications`,
    {
      config: { minRole: 'viewer', does: 'read notifications' },
      schema: { tags: ['alerts'], summary: 'The notification jobs of the alert (every transition and channel), with their state and failed attempts', params: S.AlertIdParams, response: { 200: S.NotificationList, ...errorResponses } },
    },
    async (req) => {
      const { alert } = await findAlert(es, cfg.elasticsearch.alertsIndex, req.params.id);
      return { alert: alert.alert.id, jobs: await notificationsOf(queue, alert.alert.id) };
    },
  );

  await registerTicketHooks(app, cfg, deps.baseDir ?? process.cwd(), changes, logger);

  await app.ready();
  return app;
}

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(ajv);
  return ajv;
}

function presentedKey(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1]! : null;
  }
  const header = req.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key?.trim() || null;
}

/** Field names in validation errors as a person reads them: body.assignee, querystring.limit. */
const FIELD_HINTS: Record<string, string> = {
  'params.id': 'must be an alert id: 32 hex characters, or a unique prefix of at least 6',
  'querystring.status': "must be open, acknowledged, resolved (comma-separated) or 'all'",
};

function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const context = err.validationContext ?? 'request';
  const path = first.instancePath.split('/').filter(Boolean).join('.');
  const params = first.params as { missingProperty?: string; additionalProperty?: string; limit?: number };
  const field = [context, path, params.missingProperty ?? params.additionalProperty].filter(Boolean).join('.');
  if (first.keyword === 'required') return `${field} is required`;
  if (first.keyword === 'additionalProperties') return `${field} is not a known field`;
  if (FIELD_HINTS[field]) return `${field} ${FIELD_HINTS[field]}`;
  if (first.keyword === 'type' && path === '' ) return `${context} must be a JSON object`;
  if (first.keyword === 'type' || first.keyword === 'anyOf') {
    // string-or-null fields report one error per branch; say both.
    const all = (err.validation ?? []).filter((v) => v.instancePath === first.instancePath && v.keyword === 'type').map((v) => (v.params as { type?: string }).type);
    if (all.length > 1) return `${field} must be ${all.join(' or ')}`;
  }
  return `${field} ${first.message ?? 'is not valid'}`;
}

function describeError(err: FastifyError | Error): [number, string, string] {
  if (err instanceof ApiError) return [err.statusCode, err.code, err.message];
  if (err instanceof AlertTransitionError) return [err.code === 'HAETAE_ALERT_STATE' ? 409 : 400, err.code, err.message];
  if (err instanceof AlertNotFoundError) return [404, err.code, err.message];
  const fe = err as FastifyError;
  if (fe.validation) return [400, 'HAETAE_API_INPUT', validationMessage(fe)];
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return [413, 'HAETAE_API_TOO_LARGE', `the request body is larger than api.bodyLimitBytes allows`];
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return [415, 'HAETAE_API_MEDIA_TYPE', 'send the body as JSON (Content-Type: application/json)'];
  if (err instanceof esErrors.ConnectionError || err instanceof esErrors.TimeoutError || err instanceof esErrors.NoLivingConnectionsError) {
    return [503, 'HAETAE_ES_UNAVAILABLE', `Elasticsearch is unavailable (${err.message}); try again`];
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return [fe.statusCode, 'HAETAE_API_INPUT', fe.message];
  return [500, 'HAETAE_API_INTERNAL', 'internal error; the haetae log has the details'];
}

export interface RunningApi {
  port: number;
  close(): Promise<void>;
}

/** Starts the API role: its own Elasticsearch client and queue connection, listening on api.host:api.port. */
export async function startApi(loaded: LoadedConfig, logger: Logger, health?: RoleHealth): Promise<RunningApi> {
  const cfg = loaded.config;
  health?.starting('opening the API');
  const es = createEsClient(cfg.elasticsearch);
  const queue = createNotificationQueue(queueSettings(cfg));
  queue.on('error', (err) => logger.warn(`The API lost Redis at ${redactUrl(cfg.redis.url)} (${messageOf(err)}); reconnecting.`));
  let app: FastifyInstance;
  try {
    app = await buildApi({ config: cfg, es, queue, logger, baseDir: loaded.baseDir });
    await app.listen({ host: cfg.api.host, port: cfg.api.port });
  } catch (err) {
    await settlesWithin(queue.close(), 5_000);
    await es.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new Error(`the API cannot listen on ${cfg.api.host}:${cfg.api.port} (api.host, api.port): ${messageOf(err)}`);
    throw err;
  }
  const port = (app.server.address() as { port: number }).port;
  if (cfg.api.keys.length === 0) logger.warn('api.keys is empty: every /api/v1 request is refused (401). Add a key: haetae api hash-key.');
  if (!isLoopback(cfg.api.host)) logger.warn(`The API listens on ${cfg.api.host} over plain HTTP: API keys cross the network in clear unless a TLS proxy is in front.`);
  logger.info(`HTTP API on http://${cfg.api.host}:${port}${API_PREFIX} (OpenAPI at /openapi.json), ${cfg.api.keys.length} key${cfg.api.keys.length === 1 ? '' : 's'}.`);
  health?.started();
  return {
    port,
    close: async () => {
      await app.close();
      if (!(await settlesWithin(queue.close(), 10_000))) logger.warn('The API notification queue did not close within 10 s (Redis unreachable?); exiting without it.');
      await es.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
