import { logFromFields, logFromProgram, zeek } from '../../../../pipeline/decoders/builtin/zeek';
import { neverThrows } from './property';

const CONN = '{"ts":1700000000.5,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.1.1.5","id.orig_p":49822,"id.resp_h":"10.1.1.9","id.resp_p":445,"proto":"tcp","service":"smb,gssapi","duration":0.5,"orig_bytes":1200,"resp_bytes":800,"conn_state":"S0","local_orig":true,"local_resp":true,"missed_bytes":0,"history":"S","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":0,"resp_ip_bytes":0,"community_id":"1:abc="}';
const FILES = '{"ts":1700000001.0,"fuid":"FZ4l3b1Cw1RzJrKk0c","tx_hosts":["93.184.216.34"],"rx_hosts":["10.1.1.5"],"conn_uids":["C5bLoe2Mvxqhawzqqd"],"source":"HTTP","depth":0,"analyzers":["MD5","SHA1"],"mime_type":"application/x-dosexec","filename":"update.exe","duration":0.01,"is_orig":false,"seen_bytes":73802,"total_bytes":73802,"missing_bytes":0,"overflow_bytes":0,"timedout":false,"md5":"8f7d4e6b6f3b8c3e2b5a1c9d0e7f6a5b","sha1":"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"}';
const WEIRD = '{"ts":1700000002.0,"uid":"CjLhUb2mUIbnZ4nAJd","id.orig_h":"10.1.1.7","id.orig_p":51234,"id.resp_h":"10.1.1.1","id.resp_p":53,"name":"dns_unmatched_reply","notice":false,"peer":"zeek","source":"DNS"}';
const SMB = '{"ts":1700000003.0,"uid":"CsT2rS3xZ1","id.orig_h":"10.1.1.5","id.orig_p":49822,"id.resp_h":"10.1.1.9","id.resp_p":445,"action":"SMB::FILE_OPEN","path":"\\\\\\\\DC01\\\\ADMIN$","name":"PSEXESVC.exe","size":0,"times.modified":1700000000.0}';
const KRB = '{"ts":1700000004.0,"uid":"CKrb1","id.orig_h":"10.1.1.5","id.orig_p":50000,"id.resp_h":"10.1.1.2","id.resp_p":88,"request_type":"TGS","client":"alice/CORP.EXAMPLE","service":"MSSQLSvc/db.corp.example:1433","success":true,"till":2136422885.0,"cipher":"rc4-hmac","forwardable":true,"renewable":true}';
const SSH = '{"ts":1700000005.0,"uid":"CSsh1","id.orig_h":"198.51.100.4","id.orig_p":40000,"id.resp_h":"10.1.1.3","id.resp_p":22,"version":2,"auth_success":false,"auth_attempts":3,"direction":"INBOUND","client":"SSH-2.0-libssh_0.9.6","server":"SSH-2.0-OpenSSH_8.9p1","cipher_alg":"aes256-gcm@openssh.com","hassh":"f555226df1963d1d3c09daf865abdc9a"}';
const ISO = '{"_path":"dns","_write_ts":"2024-01-01T00:00:01.000000Z","ts":"2024-01-01T00:00:00.500000Z","uid":"Cx","id.orig_h":"10.0.0.1","id.orig_p":5353,"id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","query":"example.org","qtype_name":"AAAA"}';

const fields = (message: string, program?: string) => {
  const r = zeek.decode({ message, ...(program ? { program } : {}) });
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  return { dataset: r.dataset, f: r.fields };
};

describe('zeek decoder', () => {
  it('tells the log type from the program name or the fields', () => {
    expect(logFromProgram('zeek_dns')).toBe('dns');
    expect(logFromProgram('bro-http')).toBe('http');
    expect(logFromProgram('zeek.conn')).toBe('conn');
    expect(logFromProgram('zeek')).toBeNull();
    expect(logFromProgram('sshd')).toBeNull();
    expect(logFromFields(JSON.parse(CONN) as Record<string, unknown>)).toBe('conn');
    expect(logFromFields(JSON.parse(FILES) as Record<string, unknown>)).toBe('files');
    expect(logFromFields(JSON.parse(WEIRD) as Record<string, unknown>)).toBe('weird');
    expect(logFromFields(JSON.parse(SMB) as Record<string, unknown>)).toBe('smb_files');
    expect(logFromFields(JSON.parse(KRB) as Record<string, unknown>)).toBe('kerberos');
    expect(logFromFields(JSON.parse(SSH) as Record<string, unknown>)).toBe('ssh');
  });

  it('maps conn as Filebeat (zeek.connection)', () => {
    const { dataset, f } = fields(CONN);
    expect(dataset).toBe('zeek.connection');
    expect(f).toMatchObject({
      'zeek.session_id': 'CHhAvVGS1DHFjwGM9', 'event.id': 'CHhAvVGS1DHFjwGM9', 'source.ip': '10.1.1.5', 'destination.port': 445,
      'network.transport': 'tcp', 'network.protocol': 'smb', 'network.direction': 'internal', 'network.community_id': '1:abc=',
      'zeek.connection.state': 'S0', 'zeek.connection.service': 'smb,gssapi', 'event.category': ['network'], 'event.type': ['connection', 'info'],
      'zeek.ts': '2023-11-14T22:13:20.500Z', 'related.ip': ['10.1.1.5', '10.1.1.9'],
    });
    expect(f['zeek.connection.uid']).toBeUndefined();
  });

  it('maps files, weird, smb_files, kerberos, ssh', () => {
    expect(fields(FILES).f).toMatchObject({
      'file.name': 'update.exe', 'file.mime_type': 'application/x-dosexec', 'file.size': 73802, 'file.hash.md5': '8f7d4e6b6f3b8c3e2b5a1c9d0e7f6a5b',
      'source.ip': '93.184.216.34', 'destination.ip': '10.1.1.5', 'zeek.session_id': 'C5bLoe2Mvxqhawzqqd', 'event.category': ['file'],
    });
    expect(fields(WEIRD).f).toMatchObject({ 'rule.name': 'dns_unmatched_reply', 'zeek.weird.peer': 'zeek' });
    expect(fields(SMB, 'zeek_smb_files').f).toMatchObject({ 'file.name': 'PSEXESVC.exe', 'file.directory': '\\\\DC01\\ADMIN$', 'zeek.smb_files.action': 'SMB::FILE_OPEN' });
    expect(fields(KRB).f).toMatchObject({ 'zeek.kerberos.request_type': 'TGS', 'zeek.kerberos.cipher': 'rc4-hmac', 'zeek.kerberos.success': true, 'event.outcome': 'success', 'related.user': ['alice'] });
    expect(fields(SSH).f).toMatchObject({ 'event.outcome': 'failure', 'event.category': ['network', 'authentication'], 'zeek.ssh.hassh': 'f555226df1963d1d3c09daf865abdc9a' });
  });

  it('reads _path and ISO timestamps', () => {
    const { dataset, f } = fields(ISO);
    expect(dataset).toBe('zeek.dns');
    expect(f).toMatchObject({ 'dns.question.name': 'example.org', 'dns.question.type': 'AAAA', 'dns.type': 'query', 'zeek.ts': '2024-01-01T00:00:00.500Z', 'zeek.write_ts': '2024-01-01T00:00:01.000Z' });
  });

  it('returns null for JSON that is not Zeek, fails on broken Zeek lines', () => {
    expect(zeek.decode({ message: '{"level":"info","msg":"hello"}' })).toBeNull();
    expect(zeek.decode({ message: 'plain text' })).toBeNull();
    expect(zeek.decode({ message: '[1,2]' })).toBeNull();
    expect(zeek.decode({ message: '{"ts":1.0,"uid":"C1"' })).toMatchObject({ ok: false });
    expect(zeek.decode({ message: 'not json', program: 'zeek_conn' })).toMatchObject({ ok: false });
    expect(zeek.decode({ message: '[]', program: 'zeek_conn' })).toMatchObject({ ok: false });
  });

  it('ignores addresses and ports of the wrong type', () => {
    const { f } = fields('{"ts":1.0,"uid":"C1","id.orig_h":"not-an-ip","id.orig_p":"x","id.resp_h":"10.0.0.1","id.resp_p":70000,"proto":"tcp","conn_state":"S0"}');
    expect(f['source.ip']).toBeUndefined();
    expect(f['source.port']).toBeUndefined();
    expect(f['destination.port']).toBeUndefined();
    expect(f['destination.ip']).toBe('10.0.0.1');
  });

  neverThrows(zeek, [CONN, FILES, WEIRD, SMB, KRB, SSH, ISO]);
  describe('with a program name', () => neverThrows(zeek, [CONN], 'zeek_conn'));
});
