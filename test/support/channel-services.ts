import http from 'node:http';

/**
 * Local HTTP servers that hold notification bodies to the shapes Slack, Microsoft Teams and
 * PagerDuty document, and answer as they do — including their error bodies, 429 with
 * Retry-After, and 5xx — so the notifier is tested against what the services would accept.
 * A test scripts failures with `fail` (each entry answers one request).
 */
export interface Scripted {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ChannelServer<T> {
  url: string;
  /** Accepted messages, in arrival order, with their arrival time (ms). */
  accepted: Array<{ at: number; body: T }>;
  /** Every request, accepted or not, with the status answered. */
  requests: Array<{ at: number; status: number }>;
  fail: Scripted[];
  close(): Promise<void>;
}

async function serve<T>(path: string, check: (body: unknown) => { ok: true; status: number; answer: string; type: string } | { ok: false; status: number; answer: string; type: string }, delayMs = 0): Promise<ChannelServer<T>> {
  const accepted: Array<{ at: number; body: T }> = [];
  const requests: Array<{ at: number; status: number }> = [];
  const fail: Scripted[] = [];
  // A slow service: each request is handled and answered delayMs after it arrived.
  const later = (fn: () => void): void => { if (delayMs > 0) setTimeout(fn, delayMs); else fn(); };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => later(() => {
      const at = Date.now();
      const scripted = fail.shift();
      if (scripted) {
        requests.push({ at, status: scripted.status });
        res.writeHead(scripted.status, { 'content-type': 'text/plain', ...scripted.headers }).end(scripted.body ?? '');
        return;
      }
      if (req.method !== 'POST' || req.url !== path) {
        requests.push({ at, status: 404 });
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        requests.push({ at, status: 400 });
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        requests.push({ at, status: 400 });
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      const r = check(body);
      requests.push({ at, status: r.status });
      if (r.ok) accepted.push({ at, body: body as T });
      res.writeHead(r.status, { 'content-type': r.type }).end(r.answer);
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}${path}`, accepted, requests, fail, close: () => new Promise((r) => server.close(() => r())) };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Slack incoming webhook (api.slack.com/messaging/webhooks): "ok", or 400 invalid_payload / invalid_blocks. */
export function startSlack(): Promise<ChannelServer<{ text: string; blocks: Array<Record<string, any>> }>> {
  return serve('/services/T000/B000/XXXX', (b) => {
    const bad = (why: string) => ({ ok: false as const, status: 400, answer: why, type: 'text/plain' });
    if (!isObj(b) || (!text(b.text, 40_000) && !Array.isArray(b.blocks))) return bad('invalid_payload');
    if (b.blocks !== undefined) {
      if (!Array.isArray(b.blocks) || b.blocks.length > 50) return bad('invalid_blocks');
      for (const block of b.blocks) {
        if (!isObj(block)) return bad('invalid_blocks');
        if (block.type === 'header' && !(isObj(block.text) && block.text.type === 'plain_text' && text(block.text.text, 150))) return bad('invalid_blocks');
        if (block.type === 'section' && !(isObj(block.text) && ['mrkdwn', 'plain_text'].includes(String(block.text.type)) && text(block.text.text, 3000))) return bad('invalid_blocks');
        if (block.type === 'context' && !(Array.isArray(block.elements) && block.elements.length > 0 && block.elements.length <= 10)) return bad('invalid_blocks');
        if (!['header', 'section', 'context', 'divider'].includes(String(block.type))) return bad('invalid_blocks');
      }
    }
    return { ok: true as const, status: 200, answer: 'ok', type: 'text/plain' };
  });
}

/** Teams incoming webhook / Workflows: one Adaptive Card attachment; 202, or 400 with an error object. */
export function startTeams(): Promise<ChannelServer<{ type: string; attachments: Array<{ contentType: string; content: Record<string, any> }> }>> {
  return serve('/webhookb2/incoming', (b) => {
    const bad = (message: string) => ({ ok: false as const, status: 400, answer: JSON.stringify({ error: { code: 'BadRequest', message } }), type: 'application/json' });
    if (!isObj(b) || b.type !== 'message' || !Array.isArray(b.attachments) || b.attachments.length !== 1) return bad('message with one attachment expected');
    const a = b.attachments[0];
    if (!isObj(a) || a.contentType !== 'application/vnd.microsoft.card.adaptive' || !isObj(a.content)) return bad('adaptive card attachment expected');
    const c = a.content;
    if (c.type !== 'AdaptiveCard' || typeof c.version !== 'string' || !Array.isArray(c.body) || c.body.length === 0) return bad('invalid AdaptiveCard');
    for (const el of c.body) {
      if (!isObj(el) || !['TextBlock', 'FactSet', 'ColumnSet', 'Container'].includes(String(el.type))) return bad('unknown card element');
      if (el.type === 'TextBlock' && typeof el.text !== 'string') return bad('TextBlock without text');
      if (el.type === 'FactSet' && !(Array.isArray(el.facts) && el.facts.every((f) => isObj(f) && typeof f.title === 'string' && typeof f.value === 'string'))) return bad('FactSet facts must be {title, value} strings');
    }
    return { ok: true as const, status: 202, answer: '', type: 'text/plain' };
  });
}

export type PagerDutyIncidents = Map<string, { status: 'triggered' | 'acknowledged' | 'resolved'; summary: string; severity: string; events: string[] }>;

/**
 * PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events): 202
 * {status: "success", dedup_key} or 400 {status: "invalid event", errors}; keeps the incidents
 * per dedup_key as PagerDuty would (acknowledge and resolve of an unknown key are ignored).
 */
export async function startPagerDuty(routingKey: string, opts: { delayMs?: number } = {}): Promise<ChannelServer<Record<string, any>> & { incidents: PagerDutyIncidents }> {
  const incidents: PagerDutyIncidents = new Map();
  const server = await serve<Record<string, any>>('/v2/enqueue', (b) => {
    const errors: string[] = [];
    if (!isObj(b)) errors.push('Event object is invalid');
    const e = isObj(b) ? b : {};
    if (e.routing_key !== routingKey) errors.push("'routing_key' is invalid");
    if (!['trigger', 'acknowledge', 'resolve'].includes(String(e.event_action))) errors.push("'event_action' is invalid");
    if (e.dedup_key !== undefined && !text(e.dedup_key, 255)) errors.push("'dedup_key' is invalid");
    if (e.event_action === 'trigger') {
      const p = isObj(e.payload) ? e.payload : null;
      if (!p) errors.push("'payload' is missing");
      else {
        if (!text(p.summary, 1024)) errors.push("'payload.summary' is missing or too long");
        if (!text(p.source, 255)) errors.push("'payload.source' is missing");
        if (!['critical', 'error', 'warning', 'info'].includes(String(p.severity))) errors.push("'payload.severity' is invalid");
        if (p.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp)))) errors.push("'payload.timestamp' is invalid");
      }
    } else if (e.dedup_key === undefined) errors.push("'dedup_key' is required for acknowledge and resolve");
    if (errors.length > 0) return { ok: false as const, status: 400, answer: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }), type: 'application/json' };
    const key = String(e.dedup_key);
    const known = incidents.get(key);
    if (e.event_action === 'trigger') {
      const p = e.payload as Record<string, string>;
      if (!known || known.status === 'resolved') incidents.set(key, { status: 'triggered', summary: p.summary!, severity: p.severity!, events: ['trigger'] });
      else known.events.push('trigger');
    } else if (known && known.status !== 'resolved') {
      known.status = e.event_action === 'acknowledge' ? 'acknowledged' : 'resolved';
      known.events.push(String(e.event_action));
    }
    return { ok: true as const, status: 202, answer: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: key }), type: 'application/json' };
  }, opts.delayMs);
  return Object.assign(server, { incidents });
}
