import { Type } from '@fastify/type-provider-typebox';
import { MAX_ASSIGNEE_CHARS, MAX_NOTE_CHARS } from '../alert/lifecycle';

/**
 * The API's request and response schemas (TypeBox, i.e. JSON Schema): requests are validated
 * with them, and @fastify/swagger turns them into the OpenAPI document at /openapi.json.
 * Response schemas document; they do not filter (the server serializes with JSON.stringify, so
 * an alert is returned exactly as stored, including fields added later).
 */
export const MAX_LIST_LIMIT = 1000;

const nullable = (s: ReturnType<typeof Type.String>) => Type.Union([s, Type.Null()]);
const open = { additionalProperties: true } as const;

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code: HAETAE_API_AUTH, HAETAE_API_FORBIDDEN, HAETAE_API_INPUT, HAETAE_ALERT_NOT_FOUND, HAETAE_ALERT_STATE, HAETAE_ALERT_INPUT, … (docs/api.md)' }),
      message: Type.String({ description: 'What went wrong, for a person.' }),
    }),
  },
  { description: 'Every error answer.' },
);

export const HistoryEntry = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'User name (the API key name for changes via the API), or rule:<id>.' }),
    via: Type.Union([Type.Literal('cli'), Type.Literal('api'), Type.Literal('rule'), Type.Literal('ticket')]),
    action: Type.Union([Type.Literal('acknowledge'), Type.Literal('resolve'), Type.Literal('reopen'), Type.Literal('assign'), Type.Literal('note')]),
    from: Type.Optional(Type.String()),
    to: Type.Optional(Type.String()),
    assignee: Type.Optional(nullable(Type.String())),
    note: Type.Optional(Type.String()),
  },
  open,
);

export const Occurrences = Type.Object(
  {
    count: Type.Integer({ description: 'Matching events the alert absorbed (from the alert-event records; replays count once).' }),
    first: nullable(Type.String({ format: 'date-time' })),
    last: nullable(Type.String({ format: 'date-time' })),
  },
);

/** The stored alert (schemas/alert.schema.json); the main fields are listed, the rest pass through. */
export const Alert = Type.Object(
  {
    '@timestamp': Type.String({ format: 'date-time', description: 'Event time of the alert.' }),
    message: Type.String(),
    alert: Type.Object(
      {
        id: Type.String({ description: '32 hex characters.' }),
        status: Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]),
        severity: Type.Union([Type.Literal('informational'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]),
        created: Type.String({ format: 'date-time' }),
        assignee: Type.Optional(nullable(Type.String())),
        acknowledged_at: Type.Optional(nullable(Type.String())),
        acknowledged_by: Type.Optional(nullable(Type.String())),
        resolved_at: Type.Optional(nullable(Type.String())),
        group_key: Type.Optional(Type.String()),
        history: Type.Optional(Type.Array(HistoryEntry)),
      },
      open,
    ),
    rule: Type.Object({ id: Type.String(), title: Type.String() }, open),
    events: Type.Object({ ids: Type.Array(Type.String()), count: Type.Integer(), index: Type.Optional(Type.String()) }, open),
  },
  open,
);

export const AlertWithOccurrences = Type.Intersect([Alert, Type.Object({ occurrences: Occurrences })]);

export const AlertIdParams = Type.Object({
  id: Type.String({ pattern: '^[A-Fa-f0-9]{6,32}$', description: 'Alert id (32 hex characters) or a unique prefix of at least 6.' }),
});

export const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.String({
        pattern: '^(all|(open|acknowledged|resolved)(,(open|acknowledged|resolved))*)$',
        default: 'open,acknowledged',
        description: "Comma-separated: open, acknowledged, resolved; or 'all'.",
      }),
    ),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Rule id, or its exact title.' })),
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Alerts whose event time is at or after this: a duration back from now (30m, 24h, 7d) or a date (ISO 8601).' })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ASSIGNEE_CHARS })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 50, description: `How many at most (1–${MAX_LIST_LIMIT}).` })),
  },
  { additionalProperties: false },
);

export const AlertList = Type.Object({
  total: Type.Integer({ description: 'How many alerts matched (alerts holds at most `limit` of them, newest first).' }),
  alerts: Type.Array(AlertWithOccurrences),
});

const noteField = Type.String({ description: `Recorded in the alert's history (at most ${MAX_NOTE_CHARS} characters).` });

export const TransitionBody = Type.Object({ note: Type.Optional(noteField) }, { additionalProperties: false });
export const AssignBody = Type.Object(
  {
    assignee: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: `Who takes the alert (at most ${MAX_ASSIGNEE_CHARS} characters), or null to unassign.` }),
    note: Type.Optional(noteField),
  },
  { additionalProperties: false },
);
export const NoteBody = Type.Object({ note: Type.String({ minLength: 1, description: `The note (at most ${MAX_NOTE_CHARS} characters).` }) }, { additionalProperties: false });

export const ChangeResult = Type.Object({
  alert: Alert,
  change: HistoryEntry,
  notifications: Type.Object({
    queued: Type.Array(Type.String(), { description: 'Ids of the notification jobs queued for this change (state changes only).' }),
    error: nullable(Type.String({ description: 'Set when the change is stored but its notifications could not be queued.' })),
  }),
});

export const DeliveryFailure = Type.Object({
  attempt: Type.Integer(),
  code: Type.String({ description: 'Catalog code of the failure (HAETAE_WEBHOOK_STATUS, …).' }),
  cause: Type.String({ description: 'What lay behind it: ECONNREFUSED, HTTP_400, … (may be empty).' }),
  retryable: Type.Boolean(),
  message: Type.String(),
});

export const NotificationJobView = Type.Object({
  id: Type.String({ description: '<alert>-<channel> when raised, <alert>-<event>[-n]-<channel> for later changes.' }),
  channel: Type.String(),
  event: Type.Union([Type.Literal('opened'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('reopened')]),
  state: Type.String({ description: 'completed, failed, waiting, delayed, active, prioritized, …' }),
  attemptsMade: Type.Integer(),
  failedReason: nullable(Type.String()),
  createdAt: nullable(Type.String({ format: 'date-time' })),
  finishedOn: nullable(Type.String({ format: 'date-time' })),
  failures: Type.Array(DeliveryFailure, { description: 'One record per failed delivery attempt, oldest first.' }),
});

export const NotificationList = Type.Object({
  alert: Type.String({ description: 'The full alert id.' }),
  jobs: Type.Array(NotificationJobView),
});

export const Health = Type.Object({ status: Type.Literal('ok') });
