import { auditd, parsePairs, syscallName } from '../../../../pipeline/decoders/builtin/auditd';
import type { DecodedFields, DecodeResult } from '../../../../pipeline/decoders/types';
import { neverThrows } from './property';

// One execve event as auditd writes it: 7 records sharing serial 4711.
const EVENT = [
  'type=SYSCALL msg=audit(1700000000.123:4711): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c2b0f6a0 a1=55d1c2b0f5e0 a2=55d1c2b10010 a3=8 items=2 ppid=2210 pid=2398 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=3 comm="wget" exe="/usr/bin/wget" subj=unconfined key="susp_activity"\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="alice" GID="alice" EUID="alice" SUID="alice" FSUID="alice" EGID="alice" SGID="alice" FSGID="alice"',
  'type=EXECVE msg=audit(1700000000.123:4711): argc=4 a0="wget" a1="-q" a2="-O" a3=2F746D702F612062',
  'type=CWD msg=audit(1700000000.123:4711): cwd="/home/alice"',
  'type=PATH msg=audit(1700000000.123:4711): item=0 name="/usr/bin/wget" inode=1311289 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0',
  'type=PATH msg=audit(1700000000.123:4711): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=1320100 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PROCTITLE msg=audit(1700000000.123:4711): proctitle=77676574002D71002D4F002F746D702F612062',
  'type=EOE msg=audit(1700000000.123:4711): ',
];

const ok = (r: DecodeResult | null) => {
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  expect(r.dataset).toBe('auditd.log');
  return r;
};
const decode = (message: string) => auditd.decode({ message, program: 'audispd' });

function mergeAll(lines: string[]): { fields: DecodedFields; ends: boolean[]; keys: string[] } {
  let fields: DecodedFields | null = null;
  const ends: boolean[] = [];
  const keys: string[] = [];
  for (const l of lines) {
    const r = ok(decode(l));
    ends.push(r.multi!.end);
    keys.push(r.multi!.key);
    fields = fields === null ? r.fields : auditd.merge!(fields, r.fields);
  }
  return { fields: fields!, ends, keys };
}

describe('auditd decoder', () => {
  it('marks records of one event with one key; EOE closes it', () => {
    const { ends, keys } = mergeAll(EVENT);
    expect(new Set(keys)).toEqual(new Set(['4711']));
    expect(ends).toEqual([false, false, false, false, false, false, true]);
  });

  it('merges SYSCALL + EXECVE + CWD + PATH + PROCTITLE into one event', () => {
    const { fields: f } = mergeAll(EVENT);
    expect(f).toMatchObject({
      'auditd.log.record_type': ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE'],
      'auditd.log.sequence': 4711,
      'auditd.log.syscall': 'execve',
      'auditd.data.syscall_number': '59',
      'auditd.data.arch': 'x86_64',
      'auditd.log.key': 'susp_activity',
      'auditd.log.exe': '/usr/bin/wget',
      'auditd.log.comm': 'wget',
      'auditd.log.a0': ['55d1c2b0f6a0', 'wget'],
      'auditd.log.a1': ['55d1c2b0f5e0', '-q'],
      'auditd.log.a3': ['8', '/tmp/a b'],
      'auditd.log.name': ['/usr/bin/wget', '/lib64/ld-linux-x86-64.so.2'],
      'auditd.log.cwd': '/home/alice',
      'auditd.log.euid': '1000',
      'event.kind': 'event', 'event.action': 'executed', 'event.category': ['process'], 'event.type': ['start'], 'event.outcome': 'success',
      'process.executable': '/usr/bin/wget', 'process.name': 'wget', 'process.pid': 2398, 'process.parent.pid': 2210,
      'process.args': ['wget', '-q', '-O', '/tmp/a b'], 'process.args_count': 4, 'process.command_line': 'wget -q -O /tmp/a b',
      'process.working_directory': '/home/alice', 'process.title': 'wget -q -O /tmp/a b',
      'user.id': '1000', 'user.name': 'alice', 'user.audit.id': '1000', 'user.audit.name': 'alice', 'user.effective.id': '1000',
      'file.path': '/usr/bin/wget', 'file.mode': '0755', 'file.inode': '1311289',
      'related.user': ['alice'],
    });
    // EOE adds nothing.
    expect((f['auditd.log.record_type'] as string[]).includes('EOE')).toBe(false);
  });

  it('merges through the engine assembler the same way', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require('../../../../pipeline/decoders') as typeof import('../../../../pipeline/decoders');
    if (typeof engine.assembleRecords !== 'function') return;
    const decoder = { id: 'auditd', select: {}, priority: 40, samples: [], decode: auditd.decode, merge: auditd.merge };
    const records = EVENT.map((l) => ({ decoder, result: decode(l)!, sender: '10.0.0.5' }));
    const out = engine.assembleRecords(records);
    expect(out.absorbed).toEqual([1, 2, 3, 4, 5, 6]);
    const head = out.results[0]!;
    expect(head.ok && head.fields['process.args']).toEqual(['wget', '-q', '-O', '/tmp/a b']);
  });

  it('reads the node= prefix into the key and host.name', () => {
    const r = ok(decode('node=db-02 type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffc items=1 ppid=1 pid=3538 auid=4294967295 uid=0 comm="cat" exe="/bin/cat" key=(null)'));
    expect(r.multi).toEqual({ key: 'db-02:24287', end: false });
    expect(r.fields).toMatchObject({ 'host.name': 'db-02', 'auditd.log.node': 'db-02', 'auditd.log.syscall': 'openat', 'event.outcome': 'failure', 'event.category': ['process'], 'event.type': ['info'] });
    expect(r.fields['user.audit.id']).toBeUndefined();
    expect(r.fields['auditd.log.key']).toBe('(null)');
  });

  it('maps user-space authentication records and closes them at once', () => {
    const r = ok(decode(`type=USER_AUTH msg=audit(1700000100.001:920): pid=3110 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=? acct="admin" exe="/usr/sbin/sshd" hostname=attacker.example.com addr=198.51.100.77 terminal=ssh res=failed'\x1dUID="root" AUID="unset"`));
    expect(r.multi!.end).toBe(true);
    expect(r.fields).toMatchObject({
      'event.category': ['authentication'], 'event.type': ['info'], 'event.outcome': 'failure', 'event.action': 'user_auth',
      'user.name': 'admin', 'source.ip': '198.51.100.77', 'source.domain': 'attacker.example.com', 'auditd.log.op': 'PAM:authentication',
      'auditd.log.grantors': '?', 'auditd.log.terminal': 'ssh', 'related.ip': ['198.51.100.77'], 'related.hosts': ['attacker.example.com'],
    });
    const start = ok(decode(`type=USER_START msg=audit(1700000100.101:925): pid=3110 uid=0 auid=1000 ses=7 msg='op=PAM:session_open grantors=pam_unix acct="alice" exe="/usr/sbin/sshd" hostname=198.51.100.7 addr=198.51.100.7 terminal=ssh res=success'`));
    expect(start.fields).toMatchObject({ 'event.category': ['session'], 'event.type': ['start'], 'event.outcome': 'success', 'user.name': 'alice', 'user.audit.id': '1000' });
    const cmd = ok(decode(`type=USER_CMD msg=audit(1700000200.5:990): pid=4001 uid=1000 auid=1000 ses=7 msg='cwd="/home/alice" cmd=636174202F6574632F736861646F77 exe="/usr/bin/sudo" terminal=pts/1 res=success'`));
    expect(cmd.fields).toMatchObject({ 'auditd.log.cmd': 'cat /etc/shadow', 'event.category': ['process'], 'event.type': ['start'] });
  });

  it('decodes SOCKADDR and sets the destination of a connect()', () => {
    const { fields } = mergeAll([
      'type=SYSCALL msg=audit(1700000300.000:5000): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=777 auid=1000 uid=1000 comm="nc" exe="/usr/bin/nc.openbsd" key="network_connect_4"',
      'type=SOCKADDR msg=audit(1700000300.000:5000): saddr=0200115CCB00710A0000000000000000',
      'type=EOE msg=audit(1700000300.000:5000): ',
    ]);
    expect(fields).toMatchObject({
      'auditd.log.syscall': 'connect', 'event.category': ['network'], 'event.type': ['connection', 'start'],
      'destination.ip': '203.0.113.10', 'destination.port': 4444, 'auditd.data.socket.family': 'ipv4', 'related.ip': ['203.0.113.10'],
    });
  });

  it('reads the hex key list and split EXECVE arguments', () => {
    const k = ok(decode('type=SYSCALL msg=audit(1.0:1): arch=c000003e syscall=59 key=6B6579310161626364'));
    expect(k.fields['auditd.log.key']).toEqual(['key1', 'abcd']);
    const e = ok(decode('type=EXECVE msg=audit(1.0:2): argc=2 a0="echo" a1_len=6 a1[0]=616263 a1[1]=646566'));
    expect(e.fields['process.args']).toEqual(['echo', 'abcdef']);
  });

  it('reads SELinux AVC decisions', () => {
    const r = ok(decode('type=AVC msg=audit(1226270358.848:238): avc:  denied  { read write } for  pid=13349 comm="certwatch" name="cache" dev=dm-0 ino=218171 scontext=system_u:system_r:certwatch_t:s0 tcontext=system_u:object_r:var_t:s0 tclass=dir'));
    expect(r.fields).toMatchObject({ 'auditd.data.seresult': 'denied', 'auditd.data.seperms': ['read', 'write'], 'auditd.log.tclass': 'dir', 'event.category': ['intrusion_detection'], 'event.type': ['denied'], 'process.name': 'certwatch' });
    expect(r.multi!.end).toBe(false); // an AVC may be followed by its SYSCALL
  });

  it('reads the kernel form with numeric types (AppArmor via kmsg)', () => {
    const r = ok(auditd.decode({ program: 'kernel', message: '[ 4711.123456] audit: type=1400 audit(1700000000.321:99): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/shadow" pid=812 comm="cupsd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0' }));
    expect(r.fields).toMatchObject({ 'auditd.log.record_type': 'AVC', 'auditd.log.sequence': 99, 'auditd.log.apparmor': 'DENIED', 'auditd.log.name': '/etc/shadow', 'auditd.data.seresult': 'denied', 'event.type': ['denied'], 'process.pid': 812 });
    expect(ok(auditd.decode({ message: 'audit: type=9999 audit(1.0:1): x=1' })).fields['auditd.log.record_type']).toBe('UNKNOWN[9999]');
    expect(ok(auditd.decode({ message: 'audit: type=1327 audit(1.0:2): proctitle=2F62696E2F7368' })).fields['process.title']).toBe('/bin/sh');
  });

  it('maps account management to iam', () => {
    const r = ok(decode(`type=DEL_USER msg=audit(1700000400.0:6000): pid=5000 uid=0 auid=1000 ses=3 msg='op=delete-user id=1002 exe="/usr/sbin/userdel" hostname=? addr=? terminal=pts/0 res=success'`));
    expect(r.fields).toMatchObject({ 'event.category': ['iam'], 'event.type': ['user', 'deletion'], 'user.target.id': '1002' });
    expect(r.fields['source.ip']).toBeUndefined();
  });

  it('parses quoted, single-quoted and free-text values', () => {
    const pairs: Array<{ key: string; value: string; quoted: boolean }> = [];
    parsePairs(`a=1 b="two words" auditd start, c=x, msg='d=4 e="f g"' (h=?, i=5)`, pairs);
    expect(pairs.map((p) => [p.key, p.value])).toEqual([['a', '1'], ['b', 'two words'], ['c', 'x'], ['d', '4'], ['e', 'f g'], ['h', '?'], ['i', '5']]);
    expect(syscallName('c00000b7', '221')).toBe('execve');
    expect(syscallName('c000003e', '99999')).toBeUndefined();
  });

  it('returns null for other messages and fails on a broken header', () => {
    expect(decode('pam_unix(sshd:session): session opened for user root')).toBeNull();
    expect(decode('type=foo bar')).toBeNull();
    const r = decode('type=SYSCALL msg=audit(1364481363.243 arch=c000003e');
    expect(r && !r.ok && r.reason).toMatch(/malformed/);
  });

  neverThrows(auditd, [...EVENT, 'node=h1 type=USER_LOGIN msg=audit(1.2:3): pid=1 uid=0 msg=\'op=login acct="x" addr=1.2.3.4 res=success\'', 'type=SOCKADDR msg=audit(1.0:5): saddr=0A00115C00000000200107F80000000000000000000000010000000'], 'audispd');
});
