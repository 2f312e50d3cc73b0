import { cef, parseExtension } from '../../../../pipeline/decoders/builtin/cef';
import { neverThrows } from './property';

const IMPERVA = 'CEF:0|Imperva Inc.|SecureSphere|12.0.0|Protocol Validation|Illegal Byte Code Character in URL|High|act=Block rt=Jul 01 2023 10:11:12 cat=Alert cs1=Default Web Policy cs1Label=Policy cs2=www cs2Label=ServerGroup cs3=main cs3Label=ServiceName cs4=Default Web Application cs4Label=ApplicationName src=198.51.100.33 spt=42133 dst=10.2.2.20 dpt=443 duser=n/a suser=eve proto=TCP cs5=- cs5Label=Attacker Country request=/login.php?user\\=admin requestMethod=POST requestClientApplication=Mozilla/5.0 (X11; Linux x86_64) outcome=blocked';
const CHECKPOINT = 'CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept destinationTranslatedAddress=0.0.0.0 destinationTranslatedPort=0 deviceDirection=0 rt=1543270652000 sourceTranslatedAddress=192.168.103.254 sourceTranslatedPort=35398 spt=49363 dpt=443 cs2Label=Rule Name layer_name=Network layer_uuid=b406b732-2437-4848-9741-6eae1f5bf112 match_id=4 parent_rule=0 rule_action=Accept rule_uid=9e5e6e74-aa9a-4693-b9fe-53712dd27bea ifname=eth0 logid=0 loguid={0x5bfc70fc,0x1,0x3b13a8c0,0xc0000000} origin=192.168.59.59 originsicname=CN\\=R80,O\\=R80_M..6u6bdo sequencenum=1 version=5 dst=52.173.84.157 inzone=Internal nat_addtnl_rulenum=1 nat_rule_uid=0e58cc43-a1a3-4ab8-a3fd-9fd4bf6a3f95 nat_rulenum=1 outzone=External product=VPN-1 & FireWall-1 proto=6 service_id=https src=192.168.1.100';

const fields = (message: string) => {
  const r = cef.decode({ message });
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  expect(r.dataset).toBe('cef.log');
  return r.fields;
};

describe('cef decoder', () => {
  it('maps the common keys and labeled custom strings', () => {
    const f = fields(IMPERVA);
    expect(f).toMatchObject({
      'cef.version': 0, 'cef.device.vendor': 'Imperva Inc.', 'cef.device.product': 'SecureSphere', 'cef.device.event_class_id': 'Protocol Validation',
      'cef.severity': 'High', 'event.severity': 8, 'event.action': 'Block', 'source.ip': '198.51.100.33', 'source.port': 42133, 'destination.ip': '10.2.2.20',
      'destination.port': 443, 'source.user.name': 'eve', 'destination.user.name': 'n/a', 'network.transport': 'tcp', 'url.original': '/login.php?user=admin',
      'http.request.method': 'POST', 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)', 'cef.labels.Policy': 'Default Web Policy',
      'cef.labels.Attacker_Country': '-', 'cef.extensions.cat': 'Alert', 'cef.extensions.outcome': 'blocked', 'related.ip': ['198.51.100.33', '10.2.2.20'],
      'event.reason': 'Illegal Byte Code Character in URL',
    });
    // 'blocked' is not an ECS outcome: kept in cef.extensions only.
    expect(f['event.outcome']).toBeUndefined();
  });

  it('reads Check Point CEF (header with &, escaped = in values, NAT, direction)', () => {
    const f = fields(CHECKPOINT);
    expect(f).toMatchObject({
      'observer.vendor': 'Check Point', 'observer.product': 'VPN-1 & FireWall-1', 'event.action': 'Accept', 'network.direction': 'inbound',
      'source.nat.ip': '192.168.103.254', 'source.nat.port': 35398, 'destination.nat.ip': '0.0.0.0', 'cef.extensions.originsicname': 'CN=R80,O=R80_M..6u6bdo',
      'cef.extensions.product': 'VPN-1 & FireWall-1', 'network.transport': 'tcp', 'source.ip': '192.168.1.100', 'destination.ip': '52.173.84.157',
    });
    expect(f['cef.severity']).toBe('Unknown');
    expect(f['event.severity']).toBe(0);
  });

  it('finds CEF after a leftover tag and handles a leading space in the extension', () => {
    const f = fields('ASM:CEF:0|F5|ASM|11.3.0|Successful Request|Successful Request|2| dvchost=bigip-4.pme-ds.f5.com dvc=172.16.73.34 act=passed src=10.4.1.101');
    expect(f).toMatchObject({ 'observer.hostname': 'bigip-4.pme-ds.f5.com', 'event.action': 'passed', 'source.ip': '10.4.1.101' });
  });

  it('splits extensions: values with spaces, escaped =, trailing spaces, unknown keys', () => {
    expect(parseExtension('a=1 b=two words  c=x\\=y d=')).toEqual([['a', '1'], ['b', 'two words'], ['c', 'x=y'], ['d', '']]);
    expect(parseExtension('')).toEqual([]);
    expect(parseExtension('no pairs here')).toEqual([]);
  });

  it('returns null when there is no CEF, fails on a short header', () => {
    expect(cef.decode({ message: 'hello world' })).toBeNull();
    expect(cef.decode({ message: 'CEF:zero|x' })).toBeNull();
    expect(cef.decode({ message: 'CEF:0|a|b|c' })).toMatchObject({ ok: false });
  });

  it('keeps invalid addresses and ports out of ECS', () => {
    const f = fields('CEF:0|F5|ASM|14.1.2|x|y|2|src=00.00.00.00 spt=59270 dst=111.1111.11.1 dpt=99999');
    expect(f['source.ip']).toBeUndefined();
    expect(f['destination.ip']).toBeUndefined();
    expect(f['destination.port']).toBeUndefined();
    expect(f['source.port']).toBe(59270);
    expect(f['cef.extensions.src']).toBe('00.00.00.00');
  });

  neverThrows(cef, [IMPERVA, CHECKPOINT]);
});
