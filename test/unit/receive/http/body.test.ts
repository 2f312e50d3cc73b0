import { objectEnd, parseHecEvents, parseNdjson, parseRawLines } from '../../../../pipeline/receive/http/body';
import { parseTokens } from '../../../../pipeline/receive/http/tokens';
import { HaetaeError } from '../../../../pipeline/errors/catalog';

const limits = { maxEventBytes: 1024, maxEvents: 100 };
const texts = (o: ReturnType<typeof parseHecEvents>): string[] => (o.ok ? o.events.map((e) => e.bytes.toString('utf8')) : []);

describe('HEC /event bodies', () => {
  it('cuts concatenated objects apart, with or without whitespace, keeping each object\'s exact bytes', () => {
    const a = '{"time":1700000000.5,"host":"h1","event":"one {brace} \\"quoted\\" }"}';
    const b = '{"event":{"message":"two","nested":{"k":[1,{"x":"}"}]}},"fields":{"f":"v"}}';
    const c = '{ "event" : "three" }';
    const o = parseHecEvents(Buffer.from(`${a}${b}\n\r\n  ${c}\n`), limits);
    expect(texts(o)).toEqual([a, b, c]);
  });

  it('refuses bad JSON with HEC code 6 and the number (from 0) of the bad event, storing nothing', () => {
    const o = parseHecEvents(Buffer.from('{"event":"ok"}{"event":"ok2"}{"event": nope}{"event":"later"}'), limits);
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.answer.status).toBe(400);
    expect(o.answer.body).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
    expect(o.refusal).toBe('invalid_json');
  });

  it('refuses a body that is not objects, an unterminated object and a non-object value', () => {
    for (const [body, n] of [['[{"event":"x"}]', 0], ['{"event":"x"}{"event":"y"', 1], ['{"event":"x"} 42', 1]] as const) {
      const o = parseHecEvents(Buffer.from(body), limits);
      expect(o.ok ? null : o.answer.body).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': n });
    }
  });

  it('answers the Splunk codes for a missing event (12), a blank one (13), bad fields (15), bad metadata (6), no data (5)', () => {
    const code = (body: string): unknown => { const o = parseHecEvents(Buffer.from(body), limits); return o.ok ? 0 : [o.answer.status, o.answer.body.code, o.answer.body['invalid-event-number']]; };
    expect(code('{"event":"a"}{"host":"h"}')).toEqual([400, 12, 1]);
    expect(code('{"event":null}')).toEqual([400, 12, 0]);
    expect(code('{"event":"  "}')).toEqual([400, 13, 0]);
    expect(code('{"event":"a","fields":[1]}')).toEqual([400, 15, 0]);
    expect(code('{"event":"a","host":7}')).toEqual([400, 6, 0]);
    expect(code('{"event":"a","time":"yesterday"}')).toEqual([400, 6, 0]);
    expect(code('')).toEqual([400, 5, undefined]);
    expect(code(' \n\t ')).toEqual([400, 5, undefined]);
    expect(code('{"event":"a","time":"1700000000.25"}')).toBe(0);
  });

  it('enforces the event size (receiver.maxMessageBytes) and the events-per-request limits with 413', () => {
    const big = `{"event":"${'x'.repeat(2000)}"}`;
    const o = parseHecEvents(Buffer.from(`{"event":"a"}${big}`), limits);
    expect(o.ok ? null : [o.answer.status, o.refusal, o.answer.body['invalid-event-number']]).toEqual([413, 'event_too_large', 1]);
    const many = parseHecEvents(Buffer.from('{"event":"a"}'.repeat(101)), limits);
    expect(many.ok ? null : [many.answer.status, many.refusal]).toEqual([413, 'too_many_events']);
    expect(parseHecEvents(Buffer.from('{"event":"a"}'.repeat(100)), limits).ok).toBe(true);
  });

  it('never throws on arbitrary bytes', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = '{}[]"\\:, aez01\n';
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: Math.floor(rnd() * 60) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      expect(() => parseHecEvents(Buffer.from(s), limits)).not.toThrow();
      expect(() => parseNdjson(Buffer.from(s), limits)).not.toThrow();
    }
    expect(objectEnd(Buffer.from('{"a":"\\\\"}x'), 0)).toBe(10);
  });
});

describe('HEC /raw and NDJSON bodies', () => {
  it('raw: one event per non-blank line, CRLF or LF, the last line without a newline kept', () => {
    const o = parseRawLines(Buffer.from('first line\r\n\r\nsecond\n   \nthird'), limits);
    expect(texts(o)).toEqual(['first line', 'second', 'third']);
  });

  it('raw: a line over the limit is refused with its number', () => {
    const o = parseRawLines(Buffer.from(`ok\n${'y'.repeat(1025)}\n`), limits);
    expect(o.ok ? null : [o.answer.status, o.answer.body['invalid-event-number']]).toEqual([413, 1]);
  });

  it('ndjson: each line must be a JSON object; the bad line is named', () => {
    expect(texts(parseNdjson(Buffer.from('{"a":1}\n{"b":"x"}\n'), limits))).toEqual(['{"a":1}', '{"b":"x"}']);
    const o = parseNdjson(Buffer.from('{"a":1}\n[1,2]\n'), limits);
    expect(o.ok ? null : o.answer.body).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 1 });
    const p = parseNdjson(Buffer.from('{"a":1}\n{"a":\n'), limits);
    expect(p.ok ? null : p.answer.body['invalid-event-number']).toBe(1);
  });
});

describe('tokens file', () => {
  it('reads name:token, name token and bare tokens; looks up by token; gives names only', () => {
    const t = parseTokens('# shippers\nfluentbit:11111111-2222-3333-4444-555555555555\nvector\tvvvvvvvvvvvvvvvv\n\nbarebarebare\n', 'f');
    expect(t.size).toBe(3);
    expect(t.nameOf('11111111-2222-3333-4444-555555555555')).toBe('fluentbit');
    expect(t.nameOf('vvvvvvvvvvvvvvvv')).toBe('vector');
    expect(t.nameOf('barebarebare')).toBe('line5');
    expect(t.nameOf('nope-nope-nope')).toBeNull();
  });

  it('refuses an empty file, a short token, a duplicate name, naming the file and line', () => {
    const msg = (text: string): string => { try { parseTokens(text, '/etc/haetae/hec-tokens'); return ''; } catch (e) { expect(e).toBeInstanceOf(HaetaeError); return (e as Error).message; } };
    expect(msg('# nothing\n\n')).toMatch(/\/etc\/haetae\/hec-tokens: it lists no token/);
    expect(msg('a:short')).toMatch(/line 1: a token must be 8-256/);
    expect(msg('a:aaaaaaaaaa\na:bbbbbbbbbb')).toMatch(/line 2: the name 'a' is used twice/);
  });
});
