import fs from 'node:fs';
import { CLI, haetae, tmpFile } from './run-cli';

// These run the built CLI (npm test and npm run test:unit build it first), as an author would.
describe('haetae rules commands', () => {
  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  });

  it('validate: prints file:line:col for each problem and exits 1', () => {
    const file = tmpFile('bad.yml', 'title: t\nid: 4f1c8a52-0000-4000-8000-0000000000aa\ndetection:\n  sel:\n    message|bogus: a\n  condition: sel or other\n');
    const res = haetae(['rules', 'validate', file]);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`${file}:5:5: unknown modifier 'bogus'`);
    expect(res.stdout).toContain(`${file}:6:3: condition refers to unknown selection 'other'`);
    expect(res.stdout.trim().split('\n').pop()).toBe('2 problems; 0 rules valid in 1 file.');
  });

  it('validate: says all is well for the shipped pack and exits 0', () => {
    const res = haetae(['rules', 'validate', 'rules']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^\d+ rules \(\+ \d+ correlations?\) in \d+ files: all valid\.$/m);
  });

  it('test: runs the inline cases and reports a failing one with its position', () => {
    const file = tmpFile('t.yml', [
      'title: t', 'id: 11111111-1111-4111-8111-111111111111', 'detection:', '  sel:', '    message|contains: boom', '  condition: sel', 'tests:',
      "  - line: '<13>Nov 22 10:00:00 h app: boom'", '    match: true',
      '  - name: wrong on purpose', "    event: { message: 'quiet' }", '    match: true',
    ].join('\n'));
    const res = haetae(['rules', 'test', file]);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`FAIL ${file}:10:5: 11111111-1111-4111-8111-111111111111 — wrong on purpose: expected a match, got no match`);
    expect(res.stdout.trim().split('\n').pop()).toBe('1 passed, 1 failed (2 cases in 1 rules)');
  });

  it('test: checks a correlation case against the groups that should alert', () => {
    const file = tmpFile('c.yml', [
      'title: Fail', 'id: fa11fa11-0000-4000-8000-000000000001', 'detection:', '  sel:', '    message|contains: fail', '  condition: sel', '---',
      'title: Burst', 'id: b0257000-0000-4000-8000-000000000002', 'correlation:', '  type: event_count', '  rules: [fa11fa11-0000-4000-8000-000000000001]', '  group-by: [host.hostname]', '  timespan: 1m', '  condition: {gte: 3}',
      'tests:',
      '  - name: wrong on purpose',
      '    events:',
      "      - event: { host: { hostname: a }, message: 'fail' }",
      "        at: '2026-11-22T10:00:00Z'",
      '        repeat: 3',
      '        every: 5s',
      '    alerts:',
      '      - group: { host.hostname: b }',
    ].join('\n'));
    const res = haetae(['rules', 'test', file, '--mappings', 'none']);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`FAIL ${file}:17:5: b0257000-0000-4000-8000-000000000002 — wrong on purpose: expected {"host.hostname":"b"}, got {"host.hostname":"a"} ×3`);
    expect(res.stdout).toContain('1 rules without tests: fa11fa11-0000-4000-8000-000000000001');
  });

  it('test: passes on the shipped pack', () => {
    const res = haetae(['rules', 'test', 'rules']);
    expect(res.stdout).toMatch(/^\d+ passed, 0 failed \(\d+ cases in \d+ rules\)$/m);
    expect(res.status).toBe(0);
  });

  it('match: prints one JSON line per event and rule, reading standard input', () => {
    const events = [
      JSON.stringify({ process: { name: 'sshd' }, message: 'Failed password for root from 203.0.113.5' }),
      '',
      JSON.stringify({ 'process.name': 'sshd', message: 'Accepted publickey for alice' }),
    ].join('\n');
    const res = haetae(['rules', 'match', 'rules/linux/sshd-failed-password.yml', '-', '--json'], events);
    expect(res.status).toBe(0);
    expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { index: 0, rule: '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01', matched: true },
      { index: 1, rule: '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01', matched: false },
    ]);
  });

  it('match: names the line that looks like JSON but is not (other lines are raw syslog lines)', () => {
    const file = tmpFile('events.jsonl', '{"message":"ok"}\n{not json\n');
    const res = haetae(['rules', 'match', 'rules', file]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(`${file}:2: not a JSON object`);
  });

  it('replay: runs detections and correlations in event-time order and prints the alerts', () => {
    const t0 = Date.parse('2026-11-22T10:00:00Z');
    // Events as the worker indexes them: the sshd decoder has put the attacker's address in source.ip.
    const ev = (host: string, i: number, msg = 'Failed password for root'): string => JSON.stringify({ '@timestamp': new Date(t0 + i * 10_000).toISOString(), host: { hostname: host }, process: { name: 'sshd' }, source: { ip: host === 'web1' ? '203.0.113.5' : '198.51.100.9' }, message: msg });
    // Out of order on purpose: replay sorts by @timestamp.
    const lines = [...Array.from({ length: 12 }, (_, i) => ev('web1', i)), ...Array.from({ length: 3 }, (_, i) => ev('web2', i)), ev('web1', 0, 'Accepted publickey for alice')].reverse();
    const res = haetae(['rules', 'replay', 'rules', '-', '--json'], `${lines.join('\n')}\n`);
    expect(res.status).toBe(0);
    const alerts = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // The shipped brute-force correlation says `generate: true`: every failure also alerts on its own.
    expect(alerts.filter((a) => a.kind === 'detection')).toHaveLength(15);
    expect(alerts.filter((a) => a.kind === 'correlation')).toEqual([{
      rule: '7c0e5a8f-3d1b-4e2a-9f6c-8b7d6e5f4a31', kind: 'correlation', groupBy: { 'source.ip': '203.0.113.5' },
      windowStart: '2026-11-22T10:00:00.000Z', windowEnd: '2026-11-22T10:05:00.000Z', eventCount: 10, alertId: expect.stringMatching(/^[a-f0-9]{32}$/),
    }]);
  });

  it('replay: refuses events without a readable @timestamp, naming the line', () => {
    const res = haetae(['rules', 'replay', 'rules', '-'], '{"message":"no time"}\n');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('-:1: the event has no readable @timestamp');
  });

  it('explain: shows each selection for a raw syslog line and exits 1 when it does not match', () => {
    const res = haetae(['rules', 'explain', '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01', '<38>Nov 22 10:00:00 web1 su[811]: Failed password for root']);
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('NO MATCH');
    expect(res.stdout).toMatch(/^ {2}no {3}program +\{"process\.name":"sshd"\}$/m);
    // The linux/sshd mapping profile adds its logsource condition as a selection of its own.
    expect(res.stdout).toMatch(/^ {2}no {3}_logsource +\{"process\.name":\["sshd","sshd-session"\]\}$/m);
    expect(res.stdout).toMatch(/^ {2}yes {2}failure/m);
    expect(res.stdout).toContain('process.name = "su"');
  });

  it('every command explains itself with --help', () => {
    for (const cmd of [[], ['run'], ['search'], ['rules'], ['rules', 'validate'], ['rules', 'test'], ['rules', 'match'], ['rules', 'replay'], ['rules', 'explain'], ['notify'], ['notify', 'failed'], ['notify', 'retry']]) {
      const res = haetae([...cmd, '--help']);
      expect([cmd.join(' '), res.status]).toEqual([cmd.join(' '), 0]);
      expect(res.stdout).toMatch(/^Usage: haetae/);
    }
  });
});
