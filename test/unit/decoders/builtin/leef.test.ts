import { delimiterOf, leef } from '../../../../pipeline/decoders/builtin/leef';
import { neverThrows } from './property';

const PANDA = 'LEEF:1.0|Panda Security|paps|02.47.00.0000|exec|sev=1\tdevTime=2019-05-09 22:07:36.130735\tdevTimeFormat=yyyy-MM-dd HH:mm:ss.SSS\tusrName=hsmartin\tdomain=PROSAMX\tsrc=10.255.16.21\tidentSrc=10.255.16.21\tidentHostName=16_2470_21\tHostName=16_2470_21\tOp=Exec\tParentPath=PROGRAM_FILESX86|\\Google\\Chrome\\Application\\chrome.exe\tChildPath=SYSTEM|\\cmd.exe';
const CARET = 'LEEF:2.0|Symantec|Endpoint|14.3|Virus found|^|cat=Security risk^sev=8^src=10.9.9.9^srcMAC=00-50-56-AB-CD-EF^usrName=bob^url=http://bad.example/x.exe^isLogoutEvent=false';
const HEX = 'LEEF:2.0|Fortinet|FortiGate|7.0|traffic:forward|0x7c|src=10.0.0.2|dst=8.8.8.8|srcPort=5353|dstPort=53|proto=17|srcPackets=1|dstPackets=1|totalPackets=2';
const NODELIM = 'LEEF:2.0|Vendor|App|1.0|login|src=192.0.2.4\tusrName=root\tisLoginEvent=true';

const fields = (message: string) => {
  const r = leef.decode({ message });
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  expect(r.dataset).toBe('leef.log');
  return r.fields;
};

describe('leef decoder', () => {
  it('reads LEEF 1.0 with tabs, keeping pipes inside values', () => {
    expect(fields(PANDA)).toMatchObject({
      'leef.version': '1.0', 'leef.vendor': 'Panda Security', 'leef.product': 'paps', 'leef.product_version': '02.47.00.0000', 'leef.event_id': 'exec',
      'observer.vendor': 'Panda Security', 'observer.product': 'paps', 'event.code': 'exec', 'event.severity': 1, 'user.name': 'hsmartin',
      'user.domain': 'PROSAMX', 'source.ip': '10.255.16.21', 'leef.attributes.ParentPath': 'PROGRAM_FILESX86|\\Google\\Chrome\\Application\\chrome.exe',
      'leef.attributes.ChildPath': 'SYSTEM|\\cmd.exe', 'related.ip': ['10.255.16.21'], 'related.hosts': ['16_2470_21'], 'related.user': ['hsmartin'],
    });
  });

  it('reads LEEF 2.0 with a character or hex delimiter', () => {
    expect(fields(CARET)).toMatchObject({ 'leef.delimiter': '^', 'event.severity': 8, 'source.mac': '00-50-56-AB-CD-EF', 'url.original': 'http://bad.example/x.exe', 'leef.attributes.cat': 'Security risk' });
    expect(fields(CARET)['event.category']).toBeUndefined();
    expect(fields(HEX)).toMatchObject({ 'leef.delimiter': '|', 'destination.ip': '8.8.8.8', 'destination.port': 53, 'network.transport': 'udp', 'network.packets': 2 });
    expect(fields(NODELIM)).toMatchObject({ 'leef.delimiter': '\t', 'source.ip': '192.0.2.4', 'user.name': 'root', 'event.category': ['authentication'], 'event.type': ['start'] });
  });

  it('parses delimiter specs', () => {
    expect(delimiterOf('x09')).toBe('\t');
    expect(delimiterOf('0x5E')).toBe('^');
    expect(delimiterOf('\\x7c')).toBe('|');
    expect(delimiterOf(';')).toBe(';');
    expect(delimiterOf('abc')).toBeNull();
    expect(delimiterOf('x0')).toBeNull();
  });

  it('returns null for other text, fails on a broken header or delimiter', () => {
    expect(leef.decode({ message: 'CEF:0|a|b|c|d|e|f|' })).toBeNull();
    expect(leef.decode({ message: 'LEEF:x|' })).toBeNull();
    expect(leef.decode({ message: 'LEEF:1.0|a|b' })).toMatchObject({ ok: false });
    expect(leef.decode({ message: 'LEEF:2.0|a|b|c|d|qq|src=1.1.1.1' })).toMatchObject({ ok: false });
  });

  neverThrows(leef, [PANDA, CARET, HEX, NODELIM]);
});
