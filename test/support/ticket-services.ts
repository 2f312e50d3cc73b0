import http from 'node:http';

/**
 * Local servers that behave like the parts of Jira REST API v2 and the ServiceNow Table API that
 * haetae uses: they check authentication and request bodies, keep issues/incidents with their
 * state, and answer with the services' own shapes (including their error bodies). `dropNext`
 * makes a create succeed on the server while the client never sees the answer, as when the
 * notifier dies between the create and storing the mapping.
 */
interface Base {
  url: string;
  requests: string[];
  /** The next create is stored but its connection is cut before the answer. */
  dropNext: { create: boolean };
  close(): Promise<void>;
}

async function listen(handler: (req: http.IncomingMessage, body: any, res: http.ServerResponse) => void, requests: string[], delayMs = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      let body: unknown = null;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errorMessages: ['Unexpected character in JSON'] }));
          return;
        }
      }
      // A slow service: the request is applied (and answered) `delayMs` after it arrived.
      if (delayMs > 0) setTimeout(() => handler(req, body, res), delayMs);
      else handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body)); };

export interface JiraIssue { key: string; project: string; issueType: string; summary: string; description: string; labels: string[]; status: 'To Do' | 'Done'; comments: string[]; transitions: string[] }

/** Jira: projects SEC; statuses To Do (category new) and Done (category done); transitions Done and Reopen. */
export async function startJira(opts: { deployment: 'cloud' | 'datacenter'; authorization: string; delayMs?: number }): Promise<Base & { issues: JiraIssue[] }> {
  const issues: JiraIssue[] = [];
  const requests: string[] = [];
  const dropNext = { create: false };
  const statusOf = (i: JiraIssue) => ({ name: i.status, statusCategory: { key: i.status === 'Done' ? 'done' : 'new' } });
  const server = await listen((req, body, res) => {
    if (req.headers.authorization !== opts.authorization) return json(res, 401, { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} });
    const u = new URL(req.url ?? '/', 'http://x');
    const p = u.pathname;
    const searchPath = opts.deployment === 'cloud' ? '/rest/api/2/search/jql' : '/rest/api/2/search';
    if (req.method === 'GET' && (p === '/rest/api/2/search' || p === '/rest/api/2/search/jql')) {
      // Cloud removed /search (410 Gone); Data Center has no /search/jql (404).
      if (p !== searchPath) return json(res, opts.deployment === 'cloud' ? 410 : 404, { errorMessages: ['The requested API has been removed.'] });
      const jql = u.searchParams.get('jql') ?? '';
      const label = /labels = "([^"]+)"/.exec(jql)?.[1];
      const project = /project = "([^"]+)"/.exec(jql)?.[1];
      const found = issues.filter((i) => (!label || i.labels.includes(label)) && (!project || i.project === project)).reverse();
      return json(res, 200, { issues: found.map((i) => ({ key: i.key, fields: { status: statusOf(i) } })) });
    }
    if (req.method === 'POST' && p === '/rest/api/2/issue') {
      const f = body?.fields ?? {};
      const errors: Record<string, string> = {};
      if (f.project?.key !== 'SEC') errors.project = 'valid project is required';
      if (!['Task', 'Bug'].includes(f.issuetype?.name)) errors.issuetype = 'valid issue type is required';
      if (typeof f.summary !== 'string' || !f.summary || f.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
      if (f.labels !== undefined && !(Array.isArray(f.labels) && f.labels.every((l: unknown) => typeof l === 'string' && !/\s/.test(l)))) errors.labels = 'The label must not contain spaces.';
      if (Object.keys(errors).length > 0) return json(res, 400, { errorMessages: [], errors });
      const key = `SEC-${issues.length + 1}`;
      issues.push({ key, project: 'SEC', issueType: f.issuetype.name, summary: f.summary, description: String(f.description ?? ''), labels: f.labels ?? [], status: 'To Do', comments: [], transitions: [] });
      if (dropNext.create) {
        dropNext.create = false;
        req.socket.destroy();
        return;
      }
      return json(res, 201, { id: String(10_000 + issues.length), key, self: `${server.url}/rest/api/2/issue/${key}` });
    }
    const m = /^\/rest\/api\/2\/issue\/([A-Z]+-\d+)(\/comment|\/transitions)?$/.exec(p);
    const issue = m ? issues.find((i) => i.key === m[1]) : undefined;
    if (m && !issue) return json(res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
    if (issue && req.method === 'GET' && !m![2]) return json(res, 200, { key: issue.key, fields: { status: statusOf(issue) } });
    if (issue && m![2] === '/comment' && req.method === 'POST') {
      if (typeof body?.body !== 'string' || !body.body) return json(res, 400, { errorMessages: [], errors: { comment: 'Comment body can not be empty!' } });
      issue.comments.push(body.body);
      return json(res, 201, { id: String(issue.comments.length), body: body.body });
    }
    if (issue && m![2] === '/transitions') {
      const available = issue.status === 'Done' ? [{ id: '41', name: 'Reopen', to: { name: 'To Do' } }] : [{ id: '31', name: 'Done', to: { name: 'Done' } }];
      if (req.method === 'GET') return json(res, 200, { transitions: available });
      const t = available.find((x) => x.id === body?.transition?.id);
      if (!t) return json(res, 400, { errorMessages: [`Transition id '${body?.transition?.id}' is not valid for this issue.`], errors: {} });
      issue.status = t.to.name as JiraIssue['status'];
      issue.transitions.push(t.name);
      for (const c of body?.update?.comment ?? []) if (c?.add?.body) issue.comments.push(c.add.body);
      return json(res, 204, undefined);
    }
    return json(res, 404, { errorMessages: ['null for uri'], errors: {} });
  }, requests, opts.delayMs);
  return { ...server, requests, dropNext, issues };
}

export interface Incident { sys_id: string; number: string; short_description: string; description: string; correlation_id: string; state: string; close_code: string; close_notes: string; work_notes: string[]; urgency: string }

/** ServiceNow Table API on `incident`: states 1 New, 2 In Progress, 6 Resolved, 7 Closed. */
export async function startServiceNow(opts: { authorization: string; delayMs?: number }): Promise<Base & { incidents: Incident[] }> {
  const incidents: Incident[] = [];
  const requests: string[] = [];
  const dropNext = { create: false };
  const server = await listen((req, body, res) => {
    if (req.headers.authorization !== opts.authorization) return json(res, 401, { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' });
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/api/now/table/incident' && req.method === 'GET') {
      const q = u.searchParams.get('sysparm_query') ?? '';
      const corr = /correlation_id=([^^]+)/.exec(q)?.[1];
      const rows = incidents.filter((i) => !corr || i.correlation_id === corr).reverse();
      return json(res, 200, { result: rows.map((i) => ({ sys_id: i.sys_id, number: i.number, state: i.state })) });
    }
    if (u.pathname === '/api/now/table/incident' && req.method === 'POST') {
      if (typeof body?.short_description !== 'string' || !body.short_description) return json(res, 400, { error: { message: 'Mandatory field short_description is empty', detail: null }, status: 'failure' });
      const inc: Incident = { sys_id: `${(incidents.length + 1).toString(16).padStart(32, 'a')}`, number: `INC00${10_001 + incidents.length}`, short_description: body.short_description, description: String(body.description ?? ''), correlation_id: String(body.correlation_id ?? ''), state: '1', close_code: '', close_notes: '', work_notes: [], urgency: String(body.urgency ?? '3') };
      incidents.push(inc);
      if (dropNext.create) {
        dropNext.create = false;
        req.socket.destroy();
        return;
      }
      return json(res, 201, { result: { ...inc, work_notes: '' } });
    }
    const m = /^\/api\/now\/table\/incident\/([0-9a-f]{32})$/.exec(u.pathname);
    const inc = m ? incidents.find((i) => i.sys_id === m[1]) : undefined;
    if (m && !inc) return json(res, 404, { error: { message: 'No Record found', detail: 'Record doesn\'t exist or ACL restricts the record retrieval' }, status: 'failure' });
    if (inc && req.method === 'GET') return json(res, 200, { result: { sys_id: inc.sys_id, number: inc.number, state: inc.state } });
    if (inc && req.method === 'PATCH') {
      if (body?.state === '6' && !body.close_code) return json(res, 403, { error: { message: 'Operation Failed', detail: 'Data Policy Exception: Resolution code is mandatory' }, status: 'failure' });
      if (body?.state) inc.state = String(body.state);
      if (body?.close_code) inc.close_code = body.close_code;
      if (body?.close_notes) inc.close_notes = body.close_notes;
      if (body?.work_notes) inc.work_notes.push(body.work_notes);
      return json(res, 200, { result: { ...inc, work_notes: '' } });
    }
    return json(res, 400, { error: { message: 'Invalid table or request', detail: null }, status: 'failure' });
  }, requests, opts.delayMs);
  return { ...server, requests, dropNext, incidents };
}
