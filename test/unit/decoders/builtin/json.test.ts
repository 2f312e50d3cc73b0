import { flatten, json } from '../../../../pipeline/decoders/builtin/json';
import { neverThrows } from './property';

const APP = '{"@timestamp":"2024-05-01T10:00:00Z","log.level":"error","message":"upstream timed out","service":{"name":"checkout"},"client":{"ip":"203.0.113.8","port":61000},"http":{"request":{"method":"POST"},"response":{"status_code":"504"}},"url":{"path":"/api/pay"},"event":{"outcome":"failure","category":["web"],"type":["error"],"duration":30000000000},"host":{"ip":["10.0.0.4","fe80::1"]},"trace.id":"4bf92f3577b34da6a3ce929d0e0e4736"}';

const fields = (message: string) => {
  const r = json.decode({ message });
  if (!r || !r.ok) throw new Error(`not decoded: ${r ? r.reason : 'null'}`);
  expect(r.dataset).toBe('json.log');
  return r.fields;
};

describe('json decoder', () => {
  it('copies ECS-named keys with the right types, keeps everything under json.*', () => {
    const f = fields(APP);
    expect(f).toMatchObject({
      'log.level': 'error', 'service.name': 'checkout', 'client.ip': '203.0.113.8', 'client.port': 61000, 'http.request.method': 'POST',
      'http.response.status_code': 504, 'url.path': '/api/pay', 'event.outcome': 'failure', 'event.category': ['web'], 'event.type': ['error'],
      'event.duration': 30000000000, 'host.ip': ['10.0.0.4', 'fe80::1'], 'trace.id': '4bf92f3577b34da6a3ce929d0e0e4736',
      'json.message': 'upstream timed out', 'json.@timestamp': '2024-05-01T10:00:00Z', 'json.client.port': 61000, 'related.ip': ['203.0.113.8'],
    });
    expect(f['message']).toBeUndefined();
    expect(f['@timestamp']).toBeUndefined();
  });

  it('rejects values of the wrong type or outside ECS allowed values', () => {
    const f = fields('{"source":{"ip":"999.1.1.1","port":70000},"process":{"pid":"12x"},"event":{"kind":"alarm","outcome":"ok","type":["start","nope"]},"network":{"direction":"sideways"},"host":{"ip":["10.0.0.1","x"]}}');
    for (const k of ['source.ip', 'source.port', 'process.pid', 'event.kind', 'event.outcome', 'event.type', 'network.direction', 'host.ip']) expect(f[k]).toBeUndefined();
    expect(f['json.source.ip']).toBe('999.1.1.1');
  });

  it('bounds depth and the number of keys', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const f = fields(JSON.stringify(deep));
    const keys = Object.keys(f);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.split('.').length).toBe(9);
    expect(typeof f[keys[0]!]).toBe('string');
    const wide = fields(JSON.stringify(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]))));
    expect(Object.keys(wide).length).toBe(256);
    const seen: string[] = [];
    flatten({ a: { b: [1, { c: 2 }] }, e: [] }, (p, v) => { seen.push(`${p}=${JSON.stringify(v)}`); return true; });
    expect(seen).toEqual(['a.b="[1,{\\"c\\":2}]"', 'e=[]']);
  });

  it('returns null for non-objects, fails on broken or oversized JSON', () => {
    expect(json.decode({ message: 'text' })).toBeNull();
    expect(json.decode({ message: '[1,2,3]' })).toBeNull();
    expect(json.decode({ message: '  {"a":1}  ' })).toMatchObject({ ok: true });
    expect(json.decode({ message: '{"a":' })).toMatchObject({ ok: false });
    expect(json.decode({ message: `{"a":"${'x'.repeat(70_000)}"}` })).toMatchObject({ ok: false });
    expect(json.decode({ message: '{"__proto__":{"x":1},"constructor":{"prototype":{"y":2}}}' })).toMatchObject({ ok: true });
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  neverThrows(json, [APP, '{"a":{"b":[1,2,{"c":null}]},"source.ip":"10.0.0.1"}']);
});
