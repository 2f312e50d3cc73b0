/**
 * The network decoders (decoders/network/) on real lines — from the Wazuh ruleset tests, vendors'
 * documentation and Elastic's module test logs, beyond each file's own samples: the key fields
 * per vendor, and that every emitted field ECS knows has its ECS type (fitsEcsType) and every
 * categorization value is one ECS allows.
 */
import path from 'node:path';
import { createDecoderSet, loadDecoders, type DecoderInput } from '../../../../pipeline/decoders';
import { ecsField, fitsEcsType } from '../../../../pipeline/ecs/fields';
import { eventsFromLines } from '../../../../pipeline/offline/events';
import { compileValidators } from '../../../../schemas/validators';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const loaded = loadDecoders([path.join(ROOT, 'decoders')]);
const set = createDecoderSet(loaded.decoders);

function decode(message: string, program?: string): { id: string; dataset: string; fields: Record<string, unknown> } {
  const input: DecoderInput = { message, ...(program !== undefined ? { program } : {}) };
  const hit = set.decode(input);
  if (!hit) throw new Error(`no decoder claimed: ${message}`);
  if (!hit.result.ok) throw new Error(`${hit.decoder.id} failed (${hit.result.reason}): ${message}`);
  return { id: hit.decoder.id, dataset: hit.result.dataset, fields: hit.result.fields };
}

interface Case { line: string; program?: string; decoder: string; dataset: string; expect: Record<string, unknown> }

const CASES: Record<string, Case[]> = {
  'Cisco IOS': [
    { line: '<189>Nov 22 10:00:10 core-sw1 456: %SYS-5-CONFIG_I: Configured from console by netops on vty1 (10.0.0.10)'.replace(/^<\d+>Nov 22 10:00:10 core-sw1 456: /, ''), decoder: 'cisco-ios', dataset: 'cisco.ios', expect: { 'event.code': 'CONFIG_I', 'user.name': 'netops', 'source.ip': '10.0.0.10', 'cisco.ios.facility': 'SYS', 'log.level': 'notice' } },
    { line: '681: Aug 17 17:41:24.776 AEST: %SEC-6-IPACCESSLOGP: list 102 denied tcp 10.0.6.56(3067) -> 172.36.4.7(139), 1 packet', decoder: 'cisco-ios', dataset: 'cisco.ios', expect: { 'rule.name': '102', 'source.port': 3067, 'destination.ip': '172.36.4.7', 'event.outcome': 'failure', 'network.transport': 'tcp' } },
    { line: 'Oct 6 03:32:02 gmt: %SEC-6-IPACCESSLOGP: list bes_in denied udp xx.xxx.xx.xx(137) (GigabitEthernet0/1.6 ca5c.1da2.ba43) -> xx.xx.xx.xx(137), 1 packet', decoder: 'cisco-ios', dataset: 'cisco.ios', expect: { 'rule.name': 'bes_in', 'source.ip': undefined, 'source.address': 'xx.xxx.xx.xx', 'observer.ingress.interface.name': 'GigabitEthernet0/1.6' } },
    { line: '00:00:47: %LINK-3-UPDOWN: Interface GigabitEthernet0/2, changed state to down', decoder: 'cisco-ios', dataset: 'cisco.ios', expect: { 'cisco.ios.interface.name': 'GigabitEthernet0/2', 'cisco.ios.interface.state': 'down', 'event.severity': 3 } },
    { line: '*Mar  1 18:48:50.483 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: cisco] [Source: 192.0.2.7] [localport: 23] [Reason: Login Authentication Failed - BadUser] at 18:48:50 UTC Mon Mar 1 1993', decoder: 'cisco-ios', dataset: 'cisco.ios', expect: { 'user.name': 'cisco', 'source.ip': '192.0.2.7', 'destination.port': 23, 'event.outcome': 'failure' } },
  ],
  'Cisco ASA / FTD / PIX': [
    { line: '%ASA-6-302015: Built outbound UDP connection 156 for outside:192.168.2.10/1514 (192.168.2.10/1514) to inside:192.168.1.2/1026 (192.168.2.14/1163)', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'network.direction': 'outbound', 'source.ip': '192.168.1.2', 'source.nat.ip': '192.168.2.14', 'source.nat.port': 1163, 'destination.ip': '192.168.2.10', 'network.transport': 'udp' } },
    { line: '%ASA-4-106023: Deny udp src office:1.1.1.1/3217 dst FE_xUI:Server_Windows/15000 by access-group "ACLoffice" [0x0, 0x0]', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'rule.name': 'ACLoffice', 'destination.address': 'Server_Windows', 'firewall.blocked': 'true' } },
    { line: '%PIX-6-605005: Login permitted from 192.168.1.2/2953 to inside:192.168.1.1/telnet for user ""', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'observer.product': 'pix', 'event.outcome': 'success', 'source.ip': '192.168.1.2', 'user.name': undefined } },
    { line: '%FTD-6-113004: AAA user aaa_type Successful: server = 10.0.0.5, User = jsmith', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'observer.product': 'ftd', 'user.name': 'jsmith', 'event.outcome': 'success', 'server.address': '10.0.0.5' } },
    { line: '%ASA-6-611102: User authentication failed: IP address: 10.1.1.9, Uname: admin', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'user.name': 'admin', 'source.ip': '10.1.1.9', 'event.outcome': 'failure', 'event.category': ['authentication'] } },
    { line: '%ASA-4-722037: Group <VPN-Users> User <bob> IP <203.0.113.44> SVC closing connection: DPD failure.', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'user.name': 'bob', 'source.ip': '203.0.113.44', 'user.group.name': 'VPN-Users', 'event.reason': 'DPD failure' } },
    { line: '%ASA-6-113019: Group = VPN-Users, Username = bob, IP = 203.0.113.44, Session disconnected. Session Type: SSL, Duration: 0h:10m:05s, Bytes xmt: 12345, Bytes rcv: 6789, Reason: User Requested', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'user.name': 'bob', 'source.bytes': 12345, 'destination.bytes': 6789, 'event.reason': 'User Requested', 'event.type': ['end'] } },
    { line: '%ASA-6-109005: Authentication succeeded for user \'alice\' from 10.0.0.2/51000 to 10.0.0.1/443 on interface inside', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'user.name': 'alice', 'source.port': 51000, 'destination.port': 443, 'event.outcome': 'success' } },
    { line: '%PIX-4-400013 IDS:2003 ICMP redirect from 10.4.1.2 to 10.2.1.1 on interface dmz', decoder: 'cisco-asa', dataset: 'cisco.asa', expect: { 'rule.id': '2003', 'rule.name': 'ICMP redirect', 'source.ip': '10.4.1.2', 'event.category': ['intrusion_detection', 'network'] } },
  ],
  FortiGate: [
    { line: 'date=2016-06-16 time=16:22:34 devname=Mobipay_Firewall devid=FGTXXXX9999999999 logid=0100032001 type=event subtype=system level=information vd="root" logdesc="Admin login successful" sn=1466090554 user="a@b.com.na" ui=https(10.42.8.253) action=login status=success reason=none profile="super_admin" msg="Administrator a@b.com.na logged in successfully from https(10.42.8.253)"', decoder: 'fortinet-fortigate', dataset: 'fortinet.firewall', expect: { 'observer.name': 'Mobipay_Firewall', 'observer.serial_number': 'FGTXXXX9999999999', 'event.code': '0100032001', 'event.action': 'login', 'event.outcome': 'success', 'user.name': 'a@b.com.na', 'source.ip': '10.42.8.253', 'fortinet.firewall.vd': 'root' } },
    { line: '2018 Apr 09 16:03:11 inwazuhmgr->172.0.0.1 date=2018-04-09 time=16:03:11 devname=BA-BE-BI devid=FG600C1234567890 logid="0101037141" type="event" subtype="vpn" level="notice" vd="BA-BEBI" logtime=1523269991 logdesc="IPsec tunnel statistics" msg="IPsec tunnel statistics" action="tunnel-stats" remip=1.1.1.1 locip=1.1.1.2 remport=500 locport=500 outintf="port3" user="N/A" group="N/A" vpntunnel="AWS-VPN-B" tunnelip=N/A tunnelid=2490314698 tunneltype="ipsec" duration=243565 sentbyte=116502517 rcvdbyte=347903642', decoder: 'fortinet-fortigate', dataset: 'fortinet.firewall', expect: { 'user.name': undefined, 'fortinet.firewall.vpn': 'AWS-VPN-B', 'source.ip': '1.1.1.1', 'destination.ip': '1.1.1.2', 'source.bytes': 116502517 } },
    { line: 'date=2019-05-15 time=18:03:35 logid="1059028705" type="utm" subtype="app-ctrl" eventtype="app-ctrl-all" level="warning" vd="root" eventtime=1557968615 appid=16072 srcip=10.1.100.22 dstip=195.8.215.136 srcport=50798 dstport=443 srcintf="port10" srcintfrole="lan" dstintf="port9" dstintfrole="wan" proto=6 service="HTTPS" direction="incoming" policyid=1 sessionid=4414 applist="block-social.media" appcat="Video/Audio" app="Dailymotion" action="block" hostname="www.dailymotion.com" incidentserialno=1962906682 url="/" msg="Video/Audio: Dailymotion," apprisk="elevated"', decoder: 'fortinet-fortigate', dataset: 'fortinet.firewall', expect: { 'event.action': 'block', 'firewall.blocked': 'true', 'network.application': 'dailymotion', 'destination.domain': 'www.dailymotion.com', 'message': 'Video/Audio: Dailymotion,' } },
  ],
  'Juniper SRX': [
    { line: 'RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.134 source-address="10.0.0.26" source-port="37233" destination-address="10.128.0.1" destination-port="161" connection-tag="0" service-name="None" protocol-id="17" icmp-type="0" policy-name="MgmtAccess-trust-cleanup" source-zone-name="trust" destination-zone-name="junos-host" application="UNKNOWN" nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface=".local..0" encrypted="No" reason="Denied by policy" session-id-32="7087"]', decoder: 'juniper-srx', dataset: 'juniper.srx', expect: { 'event.action': 'flow_deny', 'source.ip': '10.0.0.26', 'destination.port': 161, 'rule.name': 'MgmtAccess-trust-cleanup', 'juniper.srx.reason': 'Denied by policy', 'network.transport': 'udp' } },
    { line: 'Sep 21 15:25:06 192.168.1.1 junos-flow: 2017-09-21T15:25:06.141Z sis-srx-ICP-01 RT_FLOW - FLOW_MCAST_RPF_FAIL [junos@2636.1.1.1.2.39 interface-name="intf1.326" source-address="192.168.1.1" destination-address="192.168.1.2" protocol-name="udp"]', decoder: 'juniper-srx', dataset: 'juniper.srx', expect: { 'juniper.srx.tag': 'FLOW_MCAST_RPF_FAIL', 'juniper.srx.interface_name': 'intf1.326', 'source.ip': '192.168.1.1' } },
  ],
  'PAN-OS': [
    { line: 'May 00 00:00:00 XXX-XX-00 1,2020/00/00 00:00:00,00000000,TRAFFIC,drop,0000,2020/06/00 00:00:00,00.00.000.00,00.00.00.0,0.0.0.0,0.0.0.0,xxx-xxx_xxxx,,,xxx,xxxxx,xxxx,xxxx,xxxx.0,xxx.000,xxxxxxxx,2020/00/00 00:00:00,0000,1,0000,000,0,0,0x0,xxx,xxxx,000,000,00,0,2020/00/00 00:00:00,1,any,0,0000000,0x0,00.0.0.0-00.000.000.000,00.0.0.0-00.000.000.000,0,0,0,n/a,0,0,0,0,,xxx-xx-01,from-policy,,,0,,0,,N/A,0,0,0,0,00000-0000-00xx00-00xx-0x0x0x000xx,0', decoder: 'panw-panos', dataset: 'panw.panos', expect: { 'event.action': 'flow_dropped', 'event.type': ['connection', 'denied'], 'rule.name': 'xxx-xxx_xxxx', 'observer.name': 'xxx-xx-01', 'source.port': 0 } },
  ],
  pfSense: [
    { line: '5,,,1000000103,em0,match,block,in,4,0x10,,64,0,0,DF,6,tcp,60,192.0.2.55,198.51.100.1,42164,22,0,S,3339523445,,64240,,mss;sackOK;TS;nop;wscale', program: 'filterlog', decoder: 'pfsense-filterlog', dataset: 'pfsense.filterlog', expect: { 'event.action': 'block', 'destination.port': 22, 'pfsense.tcp.flags': 'S', 'pfsense.ip.flags': 'DF', 'network.transport': 'tcp' } },
  ],
  SonicWall: [
    { line: 'id=NSA2650GG sn=18B169D79980 time="2019-03-19 06:44:01 UTC" fw=83.211.91.146 pri=3 c=4 m=14 msg="Web site access denied" app=49177 appName="General HTTPS" n=856789 src=192.168.0.46:59668:X0:nb020.example.com dst=34.194.213.204:443:X1:example.com srcMac=a0:ce:c8:13:99:c5 dstMac=1a:b1:69:d7:99:80 proto=tcp/https dstname=example.com arg=/ code=49 Category="Freeware/Software Downloads"', decoder: 'sonicwall-firewall', dataset: 'sonicwall.firewall', expect: { 'source.domain': 'nb020.example.com', 'observer.egress.interface.name': 'X1', 'destination.port': 443, 'firewall.blocked': 'true' } },
  ],
  'Check Point': [
    { line: '1 2019-05-15T16:26:40Z HOSTNAME CheckPoint 19710 - [action:"Decrypt"; flags:"417028"; ifdir:"inbound"; ifname:"eth4"; logid:"0"; origin:"11.22.33.44"; dst:"11.22.33.55"; fw_subproduct:"VPN-1"; inzone:"External"; layer_name:"FW-INT-TR Security"; layer_name:"FW-INT-TR Application"; match_id:"127"; rule_action:"Accept"; rule_name:"SafeCharge SEC"; outzone:"Internal"; product:"VPN-1 & FireWall-1"; proto:"6"; s_port:"55226"; service:"51262"; src:"11.22.33.88"; ]', decoder: 'checkpoint-firewall', dataset: 'checkpoint.firewall', expect: { 'event.action': 'decrypt', 'source.port': 55226, 'destination.port': 51262, 'observer.ingress.zone': 'External', 'rule.ruleset': 'FW-INT-TR Application', 'network.transport': 'tcp' } },
  ],
  iptables: [
    { line: 'Feb  4 23:33:37 hostname kernel: IPTABLE IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:00:03:93:db:2e:b4:08:00 SRC=10.4.11.40 DST=255.255.255.255 LEN=180 TOS=0x00 PREC=0x00 TTL=64 ID=4753 PROTO=UDP SPT=49320 DPT=2222 LEN=160', decoder: 'iptables-log', dataset: 'iptables.log', expect: { 'iptables.prefix': 'IPTABLE', 'source.mac': '00:03:93:db:2e:b4', 'destination.mac': 'ff:ff:ff:ff:ff:ff', 'destination.port': 2222, 'network.transport': 'udp', 'firewall.blocked': undefined } },
  ],
};

describe('network decoders on real lines', () => {
  it('load without problems', () => {
    expect(loaded.problems).toEqual([]);
  });

  for (const [vendor, cases] of Object.entries(CASES)) {
    describe(vendor, () => {
      it.each(cases.map((c) => [c.line.slice(0, 70), c] as const))('%s', (_label, c) => {
        const got = decode(c.line, c.program);
        expect(got.id).toBe(c.decoder);
        expect(got.dataset).toBe(c.dataset);
        for (const [k, v] of Object.entries(c.expect)) expect([k, got.fields[k]]).toEqual([k, v]);
        // Every field ECS knows holds a value of its ECS type (and allowed categorization values).
        const wrong = Object.entries(got.fields).filter(([k, v]) => fitsEcsType(k, v) === false).map(([k, v]) => `${k}=${JSON.stringify(v)} (${ecsField(k)?.type})`);
        expect(wrong).toEqual([]);
        // A decoder describes the traffic or the device; the receiver's own fields are never replaced.
        expect(got.fields['observer.hostname']).toBeUndefined();
      });
    });
  }

  it('every sample of every network decoder emits ECS-typed fields only', () => {
    const network = loaded.decoders.filter((d) => d.file?.includes(`${path.sep}network${path.sep}`));
    expect(network.map((d) => d.id).sort()).toEqual(['checkpoint-firewall', 'cisco-asa', 'cisco-ios', 'fortinet-fortigate', 'iptables-log', 'juniper-srx', 'panw-panos', 'pfsense-filterlog', 'sonicwall-firewall']);
    const wrong: string[] = [];
    for (const d of network) {
      for (const s of d.samples) {
        const r = d.decode({ message: s.input, ...(s.program !== undefined ? { program: s.program } : {}) });
        if (!r || !r.ok) continue;
        for (const [k, v] of Object.entries(r.fields)) if (fitsEcsType(k, v) === false) wrong.push(`${d.id}: ${k}=${JSON.stringify(v)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('devices framed as they send (syslog PRI, BSD or RFC 5424 header) reach the same decoders through the worker stages', () => {
    const lines: Array<[string, string, Record<string, unknown>]> = [
      ['<166>Nov 22 2026 10:00:00: %ASA-6-302013: Built outbound TCP connection 9 for outside:10.1.2.1/22 (10.1.2.1/22) to inside:10.1.1.2/53496 (10.1.1.2/53496)', 'cisco-asa', { source: { ip: '10.1.1.2', port: 53496 } }],
      ['<166>Nov 22 10:00:00 asa-fw1 : %ASA-4-106023: Deny tcp src inside:10.1.1.1/2143 dst dmz:172.11.1.11/139 by access-group "inside_inbound" [0x0, 0x0]', 'cisco-asa', { rule: { name: 'inside_inbound' } }],
      ['<189>Nov 22 10:00:10 core-sw1 456: %SYS-5-CONFIG_I: Configured from console by netops on vty1 (10.0.0.10)', 'cisco-ios', { user: { name: 'netops' }, host: { hostname: 'core-sw1' } }],
      ['<187>57: *Nov 22 10:00:11.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down', 'cisco-ios', { cisco: { ios: { interface: { name: 'GigabitEthernet0/1', state: 'down' } } } }],
      ['<189>date=2019-05-15 time=15:08:49 devname="FG100E" devid="FG100E4Q17000000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.1.100.22 srcport=50002 dstip=172.16.100.100 dstport=53 proto=17 action="accept" policyid=1', 'fortinet-fortigate', { observer: { name: 'FG100E' }, network: { transport: 'udp' } }],
      ['<14>Nov 22 10:00:10 srx1 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.0.1/52401->8.8.8.8/53 0x0 junos-dns-udp 203.0.113.1/40000->8.8.8.8/53 0x0 source rule r1 N/A N/A 17 trust-to-untrust trust untrust 12345 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN', 'juniper-srx', { event: { action: 'flow_started' } }],
      ['<14>Nov 22 10:00:10 pa-220 1,2019/11/22 10:00:10,007200001056,TRAFFIC,end,2049,2019/11/22 10:00:10,192.168.15.207,8.8.8.8,203.0.113.7,8.8.8.8,allow-dns,,,dns,vsys1,trust,untrust,ethernet1/2,ethernet1/1,log-fwd,2019/11/22 10:00:10,33599,1,56731,53,41507,53,0x400064,udp,allow,226,86,140,2,2019/11/22 09:59:40,0,any,0,6711589,0x0,192.168.0.0-192.168.255.255,United States,0,1,1,aged-out,0,0,0,0,,PA-220,from-policy', 'panw-panos', { event: { action: 'flow_terminated' }, observer: { name: 'PA-220' } }],
      ['<134>Nov 22 10:00:10 pfsense filterlog[1234]: 5,,,1000102433,em0,match,block,in,4,0x0,,128,24677,0,none,17,udp,186,10.9.0.119,10.9.0.255,17500,17600,166', 'pfsense-filterlog', { event: { action: 'block' }, destination: { port: 17600 } }],
      ['<134>id=firewall sn=00301E0526B1 time="2004-04-01 10:39:35" fw=67.32.44.2 pri=5 c=64 m=36 msg="TCP connection dropped" n=2686 src=67.101.200.27:4507:WAN dst=67.32.44.2:445:LAN rule=0', 'sonicwall-firewall', { event: { action: 'connection-dropped' } }],
      ['<134>1 2019-05-15T16:25:50Z gw-1 CheckPoint 19710 - [action:"Drop"; ifdir:"inbound"; ifname:"eth2"; origin:"11.22.33.44"; dst:"11.22.33.55"; proto:"17"; s_port:"55036"; service:"1514"; src:"11.22.33.77"; ]', 'checkpoint-firewall', { source: { ip: '11.22.33.77' } }],
      ['<4>Nov 22 10:00:10 gw kernel: [ 3529.289825] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.1 DST=192.0.2.4 LEN=103 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=53 DPT=36427 LEN=83', 'iptables-log', { iptables: { prefix: '[UFW BLOCK]' }, process: { name: 'kernel' } }],
    ];
    const validate = compileValidators().event;
    const outcomes = eventsFromLines(lines.map((l) => l[0]), { decoders: set, now: new Date('2026-11-22T10:05:00Z') });
    outcomes.forEach((o, i) => {
      if (!('event' in o)) throw new Error(`line ${i + 1} absorbed`);
      expect(validate(o.event)).toBe(true);
      expect((o.event.haetae as { decoder?: { id?: string } }).decoder?.id).toBe(lines[i]![1]);
      expect(o.event).toMatchObject(lines[i]![2]);
    });
  });
});
