/** The index's network lookup answers exactly as the cidr modifier's matcher, network by network. */
import { cidrMatcher, parseCidr } from '../../../../pipeline/detect/modifiers/cidr';
import { CidrSet } from '../../../../pipeline/detect/rule-index/cidr-set';

const NETS = [
  '10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16', '10.1.2.3/16', '192.0.2.0/24', '192.0.2.128/25', '0.0.0.0/0', '203.0.113.7',
  '::/0', 'fe80::/10', '2001:db8::/32', '2001:db8:1::/48', '::ffff:0:0/96', '::ffff:10.0.0.0/104', '2001:db8::1',
];
const ADDRESSES = [
  '10.1.2.3', '10.2.255.255', '10.3.0.1', '192.0.2.1', '192.0.2.200', '203.0.113.7', '203.0.113.8', ' 10.1.0.9 ',
  '::ffff:10.1.2.3', '::ffff:a01:203', '::ffff:c000:201', 'fe80::1%eth0', 'febf::1', 'fec0::1', '2001:db8::1', '2001:db8:1::5',
  '2001:db9::1', '::1', '::', '010.1.2.3', '10.1.2', '1.2.3.4.5', '256.1.1.1', 'x', '', '10.1.2.3/8',
];

describe('CidrSet', () => {
  it('finds exactly the networks cidrMatcher accepts', () => {
    const nets = NETS.map((text) => parseCidr(text)!);
    const set = new CidrSet(nets.map((net, i) => ({ net, ids: [i] })));
    const matchers = nets.map((net) => cidrMatcher(net));
    for (const address of [...ADDRESSES, 3, null, undefined]) {
      const found: number[] = [];
      set.lookup(address, (ids) => found.push(...ids));
      const expected = matchers.flatMap((m, i) => (m(address) ? [i] : []));
      expect([address, found.sort((a, b) => a - b)]).toEqual([address, expected]);
    }
  });

  it('merges the ids of networks that mask to the same range', () => {
    const set = new CidrSet([{ net: parseCidr('10.1.0.0/16')!, ids: [3, 1] }, { net: parseCidr('10.1.9.9/16')!, ids: [1, 2] }]);
    const found: number[][] = [];
    set.lookup('10.1.200.1', (ids) => found.push([...ids]));
    expect(found).toEqual([[1, 2, 3]]);
  });
});
