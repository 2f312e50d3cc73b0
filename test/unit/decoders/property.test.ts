import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { applyDecoded, createDecoderSet, loadDecoders, loadDecoderText, type DecoderProblem } from '../../../pipeline/decoders';
import { buildAhoCorasick } from '../../../pipeline/decoders/select';

const ROOT = path.join(__dirname, '..', '..', '..');

// Every shipped decoder, plus one of each step kind and a catastrophic-looking pattern.
const EXTRA = `id: p-kv
dataset: t.kv
select: { prefixes: ['k'] }
steps: [{ kv: { prefix: 'f.' } }, { csv: { from: f.c, columns: [a, b] } }, { json: { from: f.j, target: j } }]
map: { source.ip: { from: f.ip, on_invalid: skip }, source.port: { from: f.p, on_invalid: skip }, labels.a: a, labels.j: j.x, '@timestamp': { from: f.t, type: date, on_invalid: skip } }
---
id: p-cases
dataset: t.cases
select: { contains: ['(', '%'] }
match: '^(?P<head>(?:\\w+\\s?)*)(?P<rest>.*)$'
unmatched: fail
cases:
  - from: rest
    match: '(?P<n>\\d+)'
    map: { source.port: n }
  - when: { head: [x] }
    map: { event.action: { value: x } }
---
id: p-fallback
dataset: t.fb
select: {}
steps: [{ json: { target: j } }]
map: { labels.v: j.v }
`;

describe('decoders never throw, whatever the input', () => {
  const shipped = loadDecoders([path.join(ROOT, 'decoders')]);
  const problems: DecoderProblem[] = [];
  const extra = loadDecoderText(EXTRA, 'extra.yml', problems);
  const set = createDecoderSet([...shipped.decoders, ...extra]);
  const programs = [...new Set(set.decoders.flatMap((d) => d.select.programs ?? []))];
  const prefixes = [...new Set(set.decoders.flatMap((d) => [...(d.select.prefixes ?? []), ...(d.select.contains ?? [])]))];
  const samples = set.decoders.flatMap((d) => d.samples.map((s) => s.input));

  it('loads the extra decoders', () => expect(problems).toEqual([]));

  // Messages: random text, binary-ish code units, sample lines cut and mutated, known prefixes.
  const message = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }).map((cs) => String.fromCharCode(...cs)),
    fc.tuple(fc.constantFrom(...(prefixes.length > 0 ? prefixes : ['x'])), fc.string({ maxLength: 200 })).map(([p, s]) => p + s),
    fc.tuple(fc.constantFrom(...(samples.length > 0 ? samples : ['x'])), fc.nat(), fc.string({ maxLength: 20 })).map(([s, cut, junk]) => s.slice(0, cut % (s.length + 1)) + junk),
    fc.tuple(fc.constantFrom(...(samples.length > 0 ? samples : ['x'])), fc.nat(), fc.string({ maxLength: 5 })).map(([s, at, junk]) => { const i = at % (s.length + 1); return s.slice(0, i) + junk + s.slice(i + 1); }),
  );
  const program = fc.option(fc.oneof(fc.constantFrom(...(programs.length > 0 ? programs : ['x'])), fc.string({ maxLength: 10 })), { nil: undefined });
  const sender = fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 10 })), { nil: undefined });
  const facility = fc.option(fc.integer({ min: -1, max: 30 }), { nil: undefined });

  it('decode() and applyDecoded() never throw on random, binary and mutated input', () => {
    fc.assert(
      fc.property(message, program, sender, facility, (msg, prog, snd, fac) => {
        const hit = set.decode({ message: msg, program: prog, sender: snd, facility: fac });
        if (hit) {
          const event = { message: msg, event: { original: msg } };
          applyDecoded(event, hit.decoder.id, hit.result);
          // A decoder may set ECS `message` (the human-readable part); the raw line stays in event.original.
          expect(event.event.original).toBe(msg);
          if (!hit.result.ok) expect(typeof hit.result.reason).toBe('string');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('stays fast on huge input (1 MiB lines, hostile repetition)', () => {
    const huge = [
      'a'.repeat(1 << 20),
      `${'a '.repeat(1 << 19)}!`,
      `k${'x=" '.repeat(1 << 18)}`,
      `k ${'a '.repeat(1 << 18)}x=1`, // words without '=' before a far '=': must not rescan per word
      `%ASA-6-302013: ${'Built '.repeat(1 << 17)}`,
      `{"v":${'['.repeat(1 << 16)}`,
      `${'('.repeat(1 << 18)}`,
    ];
    for (const msg of huge) {
      for (const prog of [undefined, ...programs]) {
        const t = Date.now();
        set.decode({ message: msg, program: prog });
        expect(Date.now() - t).toBeLessThan(3000);
      }
    }
  });
});

describe('Aho–Corasick literal search', () => {
  it('finds every literal that occurs, overlapping ones included, same as indexOf', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: fc.constantFrom('a', 'b', '%', '-'), minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '%', '-', 'x'), maxLength: 40 }), (words, text) => {
        const found = buildAhoCorasick(words).search(text) ?? [];
        const expected = words.map((w, i) => (text.includes(w) ? i : -1)).filter((i) => i >= 0);
        expect([...found].sort()).toEqual(expected.sort());
      }),
      { numRuns: 2000 },
    );
  });
});

it('ships the sshd decoder as the worked example', () => {
  expect(fs.existsSync(path.join(ROOT, 'decoders', 'linux', 'sshd.yml'))).toBe(true);
});
