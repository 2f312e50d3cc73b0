import { eventsFromLines } from '../../../pipeline/offline/events';
import { shippedDecoders } from '../../../pipeline/decoders/shipped';
import { structuredDataText } from '../../../pipeline/roles/worker/stages';

/**
 * A genuine RFC 5424 Junos message keeps its content in the header's structured data and sends an
 * empty MSG: decoders read it as `MSGID [SD-ID k="v" …]`, so the same case that reads a relayed
 * text copy reads it.
 */
describe('RFC 5424 messages whose content is all structured data', () => {
  it('are read by the Juniper SRX decoder like their relayed text form', () => {
    const line = '<14>1 2026-11-22T10:00:00.000Z srx1 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.129 source-address="10.0.0.1" source-port="51234" destination-address="198.51.100.9" destination-port="23" service-name="junos-telnet" protocol-id="6" policy-name="deny-all" source-zone-name="trust" destination-zone-name="untrust" application="UNKNOWN"]';
    const [o] = eventsFromLines([line], { decoders: shippedDecoders(), now: new Date() });
    const e = (o as { event: any }).event;
    expect(e).toMatchObject({
      event: { dataset: 'juniper.srx', code: 'RT_FLOW_SESSION_DENY', outcome: 'failure' },
      source: { ip: '10.0.0.1', port: 51234 }, destination: { ip: '198.51.100.9', port: 23 }, rule: { name: 'deny-all' },
      haetae: { decoder: { id: 'juniper-srx' } },
    });
    // The event's own message is left as the sender wrote it (empty); the original keeps every byte.
    expect(e.message).toBe('');
    expect(e.event.original).toBe(line);
  });

  it('render values with quotes and brackets escaped as RFC 5424 writes them', () => {
    expect(structuredDataText('ID1', { 'a@1': { k: 'x"y]z', m: ['1', '2'] } })).toBe('ID1 [a@1 k="x\\"y\\]z" m="1" m="2"]');
    expect(structuredDataText(undefined, { b: {} })).toBe('[b]');
  });
});
