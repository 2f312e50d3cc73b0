import fs from 'node:fs';
import { CLI, haetae, tmpFile } from './run-cli';

const QUIET = '9e1e7000-0000-4000-8000-00000000000a';
const RULE = [
  'title: Quiet host', 'id: 9e1e7000-0000-4000-8000-00000000000a', 'detection:', '  sel:', "    host.hostname: '?*'", '  condition: sel',
  'haetae:', '  group-by: [host.hostname]', '  absence: { timespan: 10m }',
];
const T0 = Date.parse('2026-11-22T10:00:00Z');
const ev = (hostname: string, min: number): string => JSON.stringify({ '@timestamp': new Date(T0 + min * 60_000).toISOString(), host: { hostname }, message: 'tick' });

// These run the built CLI (npm run test:unit builds it first).
describe('absence rules in the CLI', () => {
  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  });

  it('rules test: checks absence cases against the groups and last-seen times expected', () => {
    const file = tmpFile('q.yml', [...RULE,
      'tests:',
      "  - event: { host: { hostname: a } }", '    match: true',
      '  - name: a goes quiet while b logs',
      '    events:',
      "      - event: { host: { hostname: a } }", "        at: '2026-11-22T10:00:00Z'",
      "      - event: { host: { hostname: b } }", "        at: '2026-11-22T10:00:00Z'", '        repeat: 12', '        every: 1m',
      '    alerts:', '      - group: { host.hostname: a }', "        last-seen: '2026-11-22T10:00:00Z'",
      '  - name: wrong on purpose',
      '    events:',
      "      - event: { host: { hostname: a } }", "        at: '2026-11-22T10:00:00Z'",
      "    until: '2026-11-22T10:10:00Z'",
      '    alerts: []',
    ].join('\n'));
    const res = haetae(['rules', 'test', file]);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`FAIL ${file}:24:5: ${QUIET} — wrong on purpose: expected no absence alert, got {"host.hostname":"a"} last seen 2026-11-22T10:00:00.000Z`);
    expect(res.stdout.trim().split('\n').pop()).toBe('2 passed, 1 failed (3 cases in 1 rules)');
  });

  it('rules test: a timeline case on a rule without absence says what is wrong', () => {
    const file = tmpFile('n.yml', ['title: t', 'id: 11111111-1111-4111-8111-111111111111', 'detection:', '  sel: { message: x }', '  condition: sel', 'tests:', "  - events: [{ event: { message: x }, at: '2026-11-22T10:00:00Z' }]", '    alerts: []'].join('\n'));
    const res = haetae(['rules', 'test', file]);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('cases with `events` and `alerts` are for absence rules');
  });

  it('replay: prints absence alerts (kind absence) and no alert per heartbeat', () => {
    const file = tmpFile('q.yml', RULE.join('\n'));
    // a: 0, 1, 2 then quiet until 30; b logs every minute to 30. Out of order on purpose.
    const lines = [ev('a', 0), ev('a', 1), ev('a', 2), ev('a', 30), ...Array.from({ length: 31 }, (_, i) => ev('b', i))].reverse();
    const res = haetae(['rules', 'replay', file, '-', '--json'], `${lines.join('\n')}\n`);
    expect(res.status).toBe(0);
    const alerts = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts).toEqual([{
      rule: QUIET, kind: 'absence', groupBy: { 'host.hostname': 'a' }, windowStart: '2026-11-22T10:02:00.000Z', windowEnd: '2026-11-22T10:12:00.000Z',
      eventCount: 0, alertId: expect.stringMatching(/^[a-f0-9]{32}$/),
    }]);
    const text = haetae(['rules', 'replay', file, '-'], `${lines.join('\n')}\n`);
    expect(text.stdout).toBe(`2026-11-22T10:02:00.000Z  2026-11-22T10:12:00.000Z  ${QUIET}  absent  host.hostname="a"\n`);
    expect(text.stderr).toContain('1 alerts');
  });
});
