import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haetae } from './run-cli';

/** `haetae parse`: lines through the worker's own stages offline, one event per input line. */
describe('haetae parse', () => {
  it('prints one event per input line, in order, decoded as the worker would (a syslog header is optional)', () => {
    const lines = [
      '<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for invalid user bob from 198.51.100.4 port 52113 ssh2',
      'something no decoder knows',
      '<38>Nov 22 10:00:01 web1 sshd[811]: Accepted publickey for alice from 198.51.100.5 port 50022 ssh2',
    ];
    const res = haetae(['parse', '--json', '--sender', '192.0.2.44'], `${lines.join('\n')}\n`);
    expect(res.status).toBe(0);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ source: { ip: '198.51.100.4' }, user: { name: 'bob' }, event: { dataset: 'linux.sshd', outcome: 'failure' }, log: { source: { address: '192.0.2.44' } } });
    expect(events[1]).toMatchObject({ message: 'something no decoder knows' });
    expect(events[1].haetae.decoder).toBeUndefined();
    expect(events[2]).toMatchObject({ source: { ip: '198.51.100.5' }, user: { name: 'alice' }, event: { outcome: 'success' } });
    expect(res.stderr).toMatch(/3 lines: 2 decoded \(linux-sshd 2\), 0 decoder failures, 1 not claimed by any decoder\./);
  });

  it('reads a file, shows a readable line per event, and names the line an auditd record was merged into', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-parse-'));
    const file = path.join(dir, 'audit.log');
    fs.writeFileSync(file, [
      'type=SYSCALL msg=audit(1700000000.123:77): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=99 auid=0 uid=0 comm="id" exe="/usr/bin/id" key="exec"',
      'type=EXECVE msg=audit(1700000000.123:77): argc=1 a0="id"',
      'type=EOE msg=audit(1700000000.123:77):',
    ].join('\n'));
    const res = haetae(['parse', file]);
    expect(res.status).toBe(0);
    const out = res.stdout.trim().split('\n');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^1\t\[auditd\]/);
    expect(out[1]).toBe('2\t(merged into the event of line 1)');
    expect(out[2]).toBe('3\t(merged into the event of line 1)');
  });

  it('explains itself', () => {
    const res = haetae(['parse', '--help']);
    expect(res.stdout).toContain('vendor decoders');
    expect(res.stdout).toContain('--sender <ip>');
  });
});
