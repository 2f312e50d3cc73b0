import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, haetae, tmpFile } from './run-cli';

// Issue 11: what a rule author sees from `haetae rules …`. These run the built CLI, as an author would.
const SSHD = '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01';
const U1 = '4f1c8a52-0000-4000-8000-000000000001';
const U2 = '4f1c8a52-0000-4000-8000-000000000002';
const rule = (lines: string[]): string => ['title: t', `id: ${U1}`, 'level: low', 'falsepositives: [none]', ...lines].join('\n');

describe('rules commands for authors (issue 11)', () => {
  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  });

  describe('crashes, limits, silent acceptance', () => {
    it('match and replay exit quietly when the reader closes the pipe (| head -1)', () => {
      const line = JSON.stringify({ '@timestamp': '2026-11-22T10:00:00Z', process: { name: 'sshd' }, message: 'Failed password for root' });
      const file = tmpFile('many.jsonl', `${Array.from({ length: 3000 }, () => line).join('\n')}\n`);
      for (const cmd of ['match', 'replay']) {
        const res = spawnSync('/bin/bash', ['-c', `node ${CLI} rules ${cmd} rules ${file} | head -1; exit \${PIPESTATUS[0]}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
        expect([cmd, res.stdout.trim().split('\n')]).toEqual([cmd, [expect.stringContaining(SSHD)]]);
        expect(res.stderr).not.toContain('EPIPE');
        expect(res.status).toBe(0);
      }
    });

    it('a test case that repeats past the limit is refused, by validate and by test', () => {
      const file = tmpFile('r.yml', [
        'title: Fail', `id: ${U1}`, 'detection:', '  sel:', '    message|contains: fail', '  condition: sel', '---',
        'title: Burst', `id: ${U2}`, 'correlation:', '  type: event_count', `  rules: [${U1}]`, '  group-by: [host.hostname]', '  timespan: 1m', '  condition: {gte: 3}',
        'tests:', '  - events:', "      - event: { message: fail }", "        at: '2026-11-22T10:00:00Z'", '        repeat: 5000000', '    alerts: []',
      ].join('\n'));
      const res = haetae(['rules', 'validate', file]);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain(`${file}:20:9: repeat must be a whole number from 1 to 100000 (at tests → 0 → events → 0 → repeat)`);
      // `at` is required in a correlation timeline: validate says so, not only `rules test`.
      const noAt = tmpFile('r.yml', fs.readFileSync(file, 'utf8').replace("        at: '2026-11-22T10:00:00Z'\n", '').replace('repeat: 5000000', 'repeat: 3'));
      const res2 = haetae(['rules', 'validate', noAt]);
      expect(res2.status).toBe(1);
      expect(res2.stdout).toContain(`${noAt}:18:9: each timeline event needs \`at\`, the time of its (first) event`);
    });

    it('correlation group-by and condition.field are checked for reachability like detection fields', () => {
      const file = tmpFile('c.yml', [
        'title: Fail', `id: ${U1}`, 'logsource: {product: linux, service: sshd}', 'detection:', '  sel:', '    message|contains: fail', '  condition: sel', '---',
        'title: Many users', `id: ${U2}`, 'correlation:', '  type: value_count', `  rules: [${U1}]`, '  group-by: [source.ipp]', '  timespan: 1m', '  condition: {gte: 3, field: user.nme}',
      ].join('\n'));
      const res = haetae(['rules', 'validate', file]);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain(`${file}:14:14: unreachable field 'source.ipp' in group-by: not an event field, and no mapping profile produces it`);
      expect(res.stdout).toContain(`${file}:16:23: unreachable field 'user.nme' in condition.field`);
    });

    it("warns when a rule's logsource waits for a parser (planned profile), with what it waits for", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-maps-'));
      fs.writeFileSync(path.join(dir, 'acme.yml'), ['name: acme', 'priority: 10', 'logsource: { product: acme }', 'telemetry: planned', 'requires: an Acme log decoder', 'fields:', '  Verb: acme.verb'].join('\n'));
      const file = tmpFile('p.yml', rule(['logsource: { product: acme }', 'detection:', '  sel: { Verb: delete }', '  condition: sel']));
      const res = haetae(['rules', 'validate', file, '--mappings', dir]);
      expect(res.status).toBe(0);
      expect(res.stdout).toContain(`${file}:5:1: warning: the rule loads but cannot fire on today's events: its mapping profile (acme) waits for an Acme log decoder (at logsource)`);
    });

    it('an id that is not a UUID is refused, as pySigma refuses it', () => {
      const file = tmpFile('id.yml', ['title: t', 'id: not-a-uuid', 'detection:', '  sel: { message: x }', '  condition: sel'].join('\n'));
      const res = haetae(['rules', 'validate', file]);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain(`${file}:2:1: id "not-a-uuid" is not a UUID: Sigma rule ids are UUIDs (pySigma refuses others)`);
    });

    it('warns about unused selections and the lint findings, and still says the rules are valid', () => {
      const file = tmpFile('w.yml', [
        'title: Same', `id: ${U1}`, 'tags: [attack.t1110, attack.credential-access, attack.bruteforce]', 'detection:', '  sel: { message: x }', '  spare: { message: y }', '  condition: sel', '---',
        'title: Same', `id: ${U2}`, 'level: high', 'falsepositives: [admins]', 'detection:', '  sel: { message: x }', '  condition: sel',
      ].join('\n'));
      const res = haetae(['rules', 'validate', file, '--mappings', 'none']);
      expect(res.status).toBe(0);
      const out = res.stdout.split('\n');
      expect(out).toContain(`${file}:6:3: warning: selection 'spare' is not used by the condition (at detection → spare)`);
      expect(out).toContain(`${file}:3:48: warning: tag 'attack.bruteforce' is not an ATT&CK tag: expected attack.tNNNN[.NNN], attack.gNNNN, attack.sNNNN or a tactic such as attack.credential-access (at tags → 2)`);
      expect(res.stdout).toContain(`${file}:1:1: warning: no level: alerts default to medium`);
      expect(res.stdout).toContain(`${file}:1:1: warning: no falsepositives`);
      expect(out).toContain(`${file}:9:1: warning: title 'Same' is also the title of rule ${U1}: titles name alerts, make them distinct (at title)`);
      expect(out.slice(-3)).toEqual(['5 warnings (the rules load; fix what you agree with)', '2 rules in 1 file: all valid.', '']);
      const json = JSON.parse(haetae(['rules', 'validate', file, '--mappings', 'none', '--json']).stdout);
      expect(json.valid).toBe(true);
      expect(json.warnings).toHaveLength(5);
    });
  });

  describe("errors in the author's own terms", () => {
    it("conditions are reported against the author's text and columns, not the profile's wrapped one", () => {
      const cond = (c: string): string => tmpFile('c.yml', rule(['logsource: {product: linux, service: sshd}', 'detection:', '  failed:', '    message|contains: Failed', '  other:', '    message|contains: x', `  condition: ${c}`]));
      let file = cond('failed and');
      expect(haetae(['rules', 'validate', file]).stdout).toContain(`${file}:11:3: condition 'failed and': ends too early at column 11 (at detection → condition)`);
      file = cond('failed adn other');
      expect(haetae(['rules', 'validate', file]).stdout).toContain(`${file}:11:3: condition 'failed adn other': unexpected 'adn' after the end of the expression at column 8 (did you mean 'and'?)`);
      file = cond('faild and not othr');
      expect(haetae(['rules', 'validate', file]).stdout).toContain("condition refers to unknown selections 'faild', 'othr' (defined: failed, other); did you mean 'failed' for 'faild', 'other' for 'othr'?");
    });

    it('misindented tests: and condition: are recognised and said plainly', () => {
      let file = tmpFile('m.yml', rule(['detection:', '  sel: { message: x }', '  condition: sel', '  tests:', '    - line: x', '      match: true']));
      let res = haetae(['rules', 'validate', file]);
      expect(res.stdout).toContain(`${file}:8:3: looks like \`tests:\` is indented under \`detection:\`: it is a top-level key of the rule, so move it left to the same indentation as \`detection:\``);
      expect(res.stdout).not.toContain('unreachable');
      file = tmpFile('m.yml', rule(['detection:', '  sel:', '    message: x', '    condition: sel']));
      res = haetae(['rules', 'validate', file]);
      expect(res.stdout).toContain(`${file}:8:5: looks like \`condition:\` is indented under the selection 'sel': it belongs directly under \`detection:\``);
      expect(res.stdout).not.toContain("required property 'condition'");
    });

    it('a test-case typo names the unknown key, without schema-internal noise', () => {
      const file = tmpFile('t.yml', rule(['detection:', '  sel: { message: x }', '  condition: sel', 'tests:', '  - event: { message: x }', '    matches: true']));
      const res = haetae(['rules', 'validate', file]);
      expect(res.stdout).toContain(`${file}:10:5: unknown key 'matches' (at tests → 0 → matches)`);
      expect(res.stdout).not.toContain('"else"');
    });

    it('a regex backreference says why it is refused', () => {
      const file = tmpFile('re.yml', rule(['detection:', '  sel:', "    message|re: '(a)\\1'", '  condition: sel']));
      expect(haetae(['rules', 'validate', file]).stdout).toContain(`${file}:7:5: backreferences (\\1) are not supported (RE2: linear-time matching)`);
    });

    it('a broken recovered-by reference is named', () => {
      const file = tmpFile('rb.yml', rule(['detection:', '  sel: { message: x }', '  condition: sel', 'haetae:', '  group-by: [host.hostname]', '  recovered-by: [link-up]']));
      const res = haetae(['rules', 'validate', file]);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain(`${file}:10:18: recovered-by names rule 'link-up', which is not loaded (at haetae → recovered-by → 0)`);
    });

    it('a missing events file is a clear usage error', () => {
      const res = haetae(['rules', 'replay', 'rules', '/nonexistent/events.jsonl']);
      expect(res.status).toBe(2);
      expect(res.stderr).toContain('no such events file: /nonexistent/events.jsonl');
      expect(res.stderr).not.toContain('ENOENT');
      expect(haetae(['rules', 'match', 'rules', '/nonexistent/events.jsonl']).stderr).toContain('no such events file');
    });

    it('a filter that makes a rule fail its own inline test is named', () => {
      const file = tmpFile('f.yml', [
        rule(['logsource: {product: linux}', 'detection:', '  sel: { message|contains: boom }', '  condition: sel', 'tests:', '  - event: { message: boom, host: { hostname: backup1 } }', '    match: true']), '---',
        'title: Not the backup host', 'logsource: {product: linux}', 'filter:', `  rules: [${U1}]`, '  host:', '    host.hostname: backup1', '  condition: host',
      ].join('\n'));
      const res = haetae(['rules', 'test', file, '--mappings', 'none']);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain("expected a match, got no match (the rule's own selections match, but filter 'Not the backup host' excludes the event)");
    });
  });

  describe('explain', () => {
    it("shows the event it evaluated for a raw auth.log line (no PRI), and takes --rules before the line", () => {
      const res = haetae(['rules', 'explain', SSHD, '--rules', 'rules', 'Nov 22 10:00:00 web1 sshd[811]: Failed password for root from 203.0.113.5 port 4242 ssh2']);
      expect(res.status).toBe(0);
      const out = res.stdout;
      expect(out).toContain('MATCH');
      expect(out).toContain('event evaluated (parse warnings: no_pri):');
      expect(out).toContain('  host.hostname = "web1"');
      expect(out).toContain('  source.ip = "203.0.113.5"');
      expect(out.indexOf('event evaluated')).toBeLessThan(out.indexOf('selections:'));
    });

    it('says when a line did not parse', () => {
      const res = haetae(['rules', 'explain', SSHD, 'web1 sshd: Failed password']);
      expect(res.status).toBe(1);
      expect(res.stdout).toContain("the line did not parse as syslog (missing PRI: message does not start with '<')");
    });

    it('shows a filter applied to the rule without printing undefined', () => {
      const file = tmpFile('f.yml', [
        rule(['logsource: {product: linux}', 'detection:', '  sel: { message|contains: boom }', '  condition: sel']), '---',
        'title: Not the backup host', 'logsource: {product: linux}', 'filter:', `  rules: [${U1}]`, '  host:', '    host.hostname: backup1', '  condition: host',
      ].join('\n'));
      const res = haetae(['rules', 'explain', U1, '--rules', file, '--mappings', 'none', '{"message":"boom","host":{"hostname":"backup1"}}']);
      expect(res.status).toBe(1);
      expect(res.stdout).toMatch(/^ {2}yes {2}filter: Not the backup host {2}\(a Sigma filter on this rule: when it matches, the rule does not\)$/m);
      expect(res.stdout).not.toContain('undefined');
    });

    it('takes a correlation id or name and explains each rule it counts', () => {
      const res = haetae(['rules', 'explain', 'ssh_brute_force_per_source', '<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for root from 203.0.113.5 port 52113 ssh2']);
      expect(res.status).toBe(0);
      expect(res.stdout).toContain(`correlation 7c0e5a8f-3d1b-4e2a-9f6c-8b7d6e5f4a31 "SSH brute force from one address": event_count of ${SSHD} by source.ip within 5m.`);
      expect(res.stdout).toContain(`${SSHD} "SSH authentication failure" (rules/linux/sshd-failed-password.yml): MATCH`);
    });
  });

  describe('tools that show their work', () => {
    it('match and replay accept raw lines with or without <PRI>', () => {
      const lines = 'Nov 22 10:00:00 web1 sshd[811]: Failed password for root from 203.0.113.5 port 4242 ssh2\n<38>Nov 22 10:00:30 web1 sshd[811]: Accepted publickey for alice from 203.0.113.5 port 4243 ssh2\n';
      const res = haetae(['rules', 'match', 'rules/linux/sshd-failed-password.yml', '-', '--json'], lines);
      expect(res.status).toBe(0);
      expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
        { index: 0, rule: SSHD, matched: true },
        { index: 1, rule: SSHD, matched: false },
      ]);
      const replayed = haetae(['rules', 'replay', 'rules/linux/sshd-failed-password.yml', '-', '--json'], lines);
      // The line's own time, not the time it was replayed.
      expect(replayed.stdout.trim().split('\n').map((l) => JSON.parse(l).windowStart)).toEqual([expect.stringMatching(/-11-22T10:00:00\.000Z$/)]);
    });

    it('replay applies group-by and throttle as the worker does, and says what it leaves out', () => {
      const file = tmpFile('th.yml', rule(['detection:', '  sel: { message|contains: down }', '  condition: sel', 'haetae:', '  group-by: [host.hostname]', '  throttle: 10m']));
      const ev = (s: number, host = 'sw1'): string => JSON.stringify({ '@timestamp': new Date(Date.parse('2026-11-22T10:00:00Z') + s * 1000).toISOString(), host: { hostname: host }, message: 'link down' });
      const input = `${[ev(0), ev(30), ev(40, 'sw2'), ev(700)].join('\n')}\n`;
      const res = haetae(['rules', 'replay', file, '-', '--json', '--mappings', 'none'], input);
      expect(res.status).toBe(0);
      expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((a) => [a.groupBy, a.windowStart, a.windowEnd])).toEqual([
        [{ 'host.hostname': 'sw1' }, '2026-11-22T10:00:00.000Z', '2026-11-22T10:10:00.000Z'],
        [{ 'host.hostname': 'sw2' }, '2026-11-22T10:00:00.000Z', '2026-11-22T10:10:00.000Z'],
        [{ 'host.hostname': 'sw1' }, '2026-11-22T10:10:00.000Z', '2026-11-22T10:20:00.000Z'],
      ]);
      const text = haetae(['rules', 'replay', file, '-', '--mappings', 'none'], input);
      expect(text.stderr).toContain('3 alerts; 1 more matches inside throttle periods (recorded on those alerts, not notified)');
      expect(text.stderr).toContain('not simulated: recovered-by, notification channels and delivery');
    });

    it('correlation tests can assert the aggregated value; unknown keys in expected alerts are refused', () => {
      const doc = (alert: string): string => tmpFile('v.yml', [
        'title: Fail', `id: ${U1}`, 'detection:', '  sel:', '    message|contains: fail', '  condition: sel', '---',
        'title: Many users', `id: ${U2}`, 'correlation:', '  type: value_count', `  rules: [${U1}]`, '  group-by: [host.hostname]', '  timespan: 1m', '  condition: {gte: 2, field: user.name}',
        'tests:', '  - events:',
        "      - { event: { host: { hostname: a }, user: { name: x }, message: fail }, at: '2026-11-22T10:00:00Z', repeat: 2 }",
        "      - { event: { host: { hostname: a }, user: { name: y }, message: fail }, at: '2026-11-22T10:00:05Z' }",
        '    alerts:', `      - ${alert}`,
      ].join('\n'));
      let file = doc('{ group: { host.hostname: a }, count: 3, value: 2 }');
      expect(haetae(['rules', 'test', file, '--mappings', 'none']).stdout).toContain('1 passed, 0 failed');
      file = doc('{ group: { host.hostname: a }, value: 3 }');
      expect(haetae(['rules', 'test', file, '--mappings', 'none']).stdout).toContain('expected {"host.hostname":"a"} value=3, got {"host.hostname":"a"} ×3 value=2');
      file = doc('{ group: { host.hostname: a }, bogus: 1 }');
      expect(haetae(['rules', 'validate', file, '--mappings', 'none']).stdout).toContain("unknown key 'bogus' in an expected alert (allowed: group, count, value)");
    });

    it('finds mapping profiles as the worker does, not relative to the working directory, and says which', () => {
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-cwd-'));
      const file = path.join(elsewhere, 'sudo.yml');
      fs.copyFileSync(path.join(ROOT, 'rules', 'linux', 'sudo-auth-failure.yml'), file);
      const res = haetae(['rules', 'test', '.'], undefined, elsewhere);
      expect(res.stderr).toContain(`mapping profiles: ${path.join(ROOT, 'rules', 'mappings')} (the project's default (no config file))`);
      expect(res.stdout).toMatch(/^\d+ passed, 0 failed/m);
      expect(res.status).toBe(0);
      const inRepo = haetae(['rules', 'validate', 'rules/linux']);
      expect(inRepo.stderr).toContain(`mapping profiles: rules/mappings (worker.mappingsPath of ${path.join(ROOT, 'haetae.yaml')})`);
    });

    it('import-sigma names the live and planned rules, grouped by reason, in text and JSON', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-sigma-'));
      fs.writeFileSync(path.join(dir, 'sshd.yml'), ['title: SSH fail', `id: ${U1}`, 'logsource: {product: linux, service: sshd}', 'detection:', '  keywords: [Failed password]', '  condition: keywords'].join('\n'));
      fs.writeFileSync(path.join(dir, 'ecs.yml'), ['title: Root user', `id: ${U2}`, 'detection:', '  sel: { user.name: root }', '  condition: sel'].join('\n'));
      const res = haetae(['rules', 'import-sigma', dir]);
      expect(res.status).toBe(0);
      expect(res.stdout).toContain('live rules, by reason:');
      expect(res.stdout).toMatch(/^ {2}1 × live under profiles? linux.*\n {6}sshd\.yml \(SSH fail\)$/m);
      expect(res.stdout).toMatch(/^ {2}1 × live: no profile, ECS field names as written\n {6}ecs\.yml \(Root user\)$/m);
      const json = JSON.parse(haetae(['rules', 'import-sigma', dir, '--json']).stdout);
      expect(json.liveGroups.flatMap((g: { rules: string[] }) => g.rules).sort()).toEqual(['ecs.yml (Root user)', 'sshd.yml (SSH fail)']);
      expect(json.plannedGroups).toEqual([]);
    });

    it('a selection that happens to carry a top-level key name is fine when the condition uses it (SigmaHQ does this)', () => {
      const file = tmpFile('fp.yml', rule(['detection:', '  sel: { message|contains: rm }', '  falsepositives: { message|contains: rotate }', '  condition: sel and not falsepositives']));
      expect(haetae(['rules', 'validate', file, '--mappings', 'none']).status).toBe(0);
    });

    it('--help points at documentation that exists', () => {
      const res = haetae(['--help']);
      expect(res.stdout).not.toContain('docs/configuration.md');
      expect(res.stdout).toContain('schemas/config.schema.json');
      expect(fs.existsSync(path.join(ROOT, 'schemas', 'config.schema.json'))).toBe(true);
    });
  });
});
