import fc from 'fast-check';
import { kv, kvPairs } from '../../../../pipeline/decoders/builtin/kv';
import { fitsEcsType } from '../../../../pipeline/ecs/fields';

const decode = (message: string) => kv.decode({ message });

describe('generic key=value decoder', () => {
  it('reads pairs (quoted values keep their spaces) and copies well-known keys to typed ECS fields', () => {
    const r = decode('device=edge1 user=alice src=203.0.113.9 sport=4444 dst=2001:db8::7 dport=22 proto=TCP action=deny reason="too many tries"');
    expect(r).toMatchObject({ ok: true, dataset: 'kv.log', fields: {
      'kv.device': 'edge1', 'kv.reason': 'too many tries', 'user.name': 'alice', 'source.ip': '203.0.113.9', 'source.port': 4444,
      'destination.ip': '2001:db8::7', 'destination.port': 22, 'network.transport': 'tcp', 'event.action': 'deny',
    } });
    const fields = (r as { fields: Record<string, unknown> }).fields;
    for (const [k, v] of Object.entries(fields)) if (!k.startsWith('kv.')) expect([k, fitsEcsType(k, v)]).toEqual([k, true]);
  });

  it('leaves prose alone: fewer than three pairs, or pairs that are a small part of the text', () => {
    expect(decode('disk usage reached a=b today')).toBeNull();
    expect(decode('a=1 b=2')).toBeNull();
    expect(decode('The quick brown fox jumps over the lazy dog while a=1 b=2 c=3 sit there')).toBeNull();
    expect(kvPairs('a=1, b=2; c="x y"')).toEqual([['a', '1'], ['b', '2'], ['c', 'x y']]);
  });

  it('refuses values of the wrong type for ECS and keeps them under kv.*', () => {
    const r = decode('src=not-an-ip dpt=70000 pid=abc user=bob');
    expect(r).toMatchObject({ ok: true, fields: { 'kv.src': 'not-an-ip', 'kv.dpt': '70000', 'user.name': 'bob' } });
    const fields = (r as { fields: Record<string, unknown> }).fields;
    expect(fields['source.ip']).toBeUndefined();
    expect(fields['destination.port']).toBeUndefined();
    expect(fields['process.pid']).toBeUndefined();
  });

  it('is bounded and never throws on arbitrary or hostile input', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `k${i}=v${i}`).join(' ');
    const r = decode(many) as { fields: Record<string, unknown> };
    expect(Object.keys(r.fields).filter((k) => k.startsWith('kv.'))).toHaveLength(128);
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => { decode(s); decode(`a=1 b=2 ${s}`); }), { numRuns: 500 });
    expect(decode('a="unterminated b=2 c=3')).not.toBeUndefined();
  });
});
