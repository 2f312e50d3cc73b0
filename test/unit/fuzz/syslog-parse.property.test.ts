/**
 * Property tests for the syslog receive/parse path (GUIDE §6): for malformed, truncated, oversized
 * and binary input the parsers never throw, never hang and never lose message bytes, and the
 * framer's output does not depend on how TCP happened to chunk the stream.
 */
import fc from 'fast-check';
import { parseSyslog } from '../../../pipeline/parse/syslog';
import { parseRfc5424 } from '../../../pipeline/parse/syslog/rfc5424';
import type { ParseOutcome, StructuredData, SyslogMessage } from '../../../pipeline/parse/syslog/types';
import type { Frame } from '../../../pipeline/receive/syslog/frame';
import { SyslogStreamFramer } from '../../../pipeline/receive/syslog/framer';

const opts = { receivedAt: new Date('2026-06-15T12:00:00Z') };
const WARNINGS = new Set(['no_pri', 'no_timestamp', 'no_hostname', 'bad_timestamp', 'invalid_utf8', 'duplicate_sd_id', 'unknown_time_zone']);
const CODES = new Set(['empty', 'no_pri', 'bad_pri', 'bad_header', 'bad_structured_data']);

// ---------------------------------------------------------------------------------------------
// Arbitrary input

/** Tokens that steer random input into the deeper branches of both parsers. */
const TOKENS = [
  '<', '>', '<13>', '<0>', '<191>', '<13>1 ', '1', '0', '9', ' ', '  ', '-', '[', ']', '"', '\\', '=', '@',
  'T', ':', 'Z', '+01:00', '.', '2024-01-05T10:00:00Z', '2024-02-30T10:00:00.1234567Z', 'Nov 22 03:54:14',
  'Feb  5 17:32:18', 'Jan 12 2024 10:00:00:', 'host', '2001:db8::1', 'app:', 'app[12]:', '%ASA-6-302013:',
  '\n', '\r', '\0', '\xc3', '\x28', '\xff', '\xef\xbb\xbf', 'é', 'a',
].map((t) => Buffer.from(t, t === 'é' ? 'utf8' : 'latin1'));

const syslogish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => Buffer.concat(parts));
const prefixed = fc
  .tuple(fc.constantFrom('', '<13>', '<13>1 ', '<13>1 - - - - - ', '<13>1 - - - - - [a '), fc.uint8Array({ maxLength: 300 }))
  .map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix), tail]));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), syslogish, prefixed);

function trimmed(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && [0x0a, 0x0d, 0x00].includes(bytes[end - 1] ?? -1)) end--;
  return bytes.subarray(0, end);
}

/**
 * True when `header` (latin1, so one char per byte) is `<PRI>` then the parsed fields in order, with
 * only the separators the parser may consume between them: ':' and SP after the timestamp, SP after
 * the hostname and after the tag, and one BOM before the message.
 */
function consumeRfc3164Header(header: string, m: SyslogMessage): boolean {
  let rest = header;
  const take = (piece: string | undefined, optional = false): boolean => {
    if (piece === undefined || !rest.startsWith(piece)) return optional || piece === undefined;
    rest = rest.slice(piece.length);
    return true;
  };
  const latin1 = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text, 'utf8').toString('latin1'));
  const ok =
    // A file-format line has no PRI (warning no_pri, PRI 13 assumed).
    (m.warnings.includes('no_pri') || take(`<${m.priority}>`)) &&
    take(latin1(m.timestampText)) && (m.timestampText === undefined || (take(':', true) && take(' ', true))) &&
    take(m.hostname) && (m.hostname === undefined || take(' ')) &&
    take(m.appName) && take(m.procId === undefined ? undefined : `[${m.procId}]`) &&
    (m.appName === undefined || (take(':') && take(' ', true))) &&
    take('\xef\xbb\xbf', true);
  return ok && rest === '';
}

function checkShape(outcome: ParseOutcome): void {
  if (!outcome.ok) {
    expect(CODES.has(outcome.code)).toBe(true);
    expect(outcome.reason.length).toBeGreaterThan(10);
    if (outcome.code === 'bad_header' || outcome.code === 'bad_structured_data') expect(outcome.reason).toMatch(/byte \d+/);
    return;
  }
  const m = outcome.value;
  expect(m.priority).toBeGreaterThanOrEqual(0);
  expect(m.priority).toBeLessThanOrEqual(191);
  expect(m.facility * 8 + m.severity).toBe(m.priority);
  expect(m.warnings.every((w) => WARNINGS.has(w))).toBe(true);
  if (m.timestamp !== undefined) expect(Number.isNaN(m.timestamp.getTime())).toBe(false);
}

describe('parseSyslog on arbitrary bytes', () => {
  test('never throws and always returns a well-formed outcome', () => {
    fc.assert(fc.property(anyBytes, (bytes) => checkShape(parseSyslog(bytes, opts))), { numRuns: 3000 });
  });

  test('never loses message bytes: a valid UTF-8 message is exactly the tail of the input', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const outcome = parseSyslog(bytes, opts);
        if (!outcome.ok || outcome.value.warnings.includes('invalid_utf8')) return;
        const tail = Buffer.from(outcome.value.message, 'utf8');
        const body = trimmed(bytes);
        expect(body.subarray(body.length - tail.length).equals(tail)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test('an RFC 3164 header is exactly its fields and separators: nothing else was dropped', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const outcome = parseSyslog(bytes, opts);
        if (!outcome.ok || outcome.value.format !== 'rfc3164' || outcome.value.warnings.includes('invalid_utf8')) return;
        const body = trimmed(bytes);
        const header = body.subarray(0, body.length - Buffer.byteLength(outcome.value.message)).toString('latin1');
        expect(consumeRfc3164Header(header, outcome.value)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test('does not modify its input', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const copy = Buffer.from(bytes);
        parseSyslog(bytes, opts);
        expect(bytes.equals(copy)).toBe(true);
      }),
    );
  });

  test.each([
    ['a megabyte of random bytes after an RFC 5424 prefix', Buffer.concat([Buffer.from('<13>1 - - - - - [a b="'), randomBytes(1 << 20)])],
    ['half a million escaped quotes in an unterminated SD value', Buffer.from(`<13>1 - - - - - [a b="${'\\"'.repeat(500_000)}`)],
    ['a hundred thousand SD elements', Buffer.from(`<13>1 - - - - - ${'[a@1 b="c"]'.repeat(100_000)} m`)],
    ['a hundred thousand params', Buffer.from(`<13>1 - - - - - [a${' b="c"'.repeat(100_000)}] ${'m'.repeat(100_000)}`)],
    ['a megabyte of RFC 3164 content', Buffer.from(`<13>Nov 22 03:54:14 host app: ${'x'.repeat(1 << 20)}`)],
    ['a megabyte without SP after an RFC 5424 prefix', Buffer.from(`<13>1 ${'x'.repeat(1 << 20)}`)],
  ])('finishes %s in linear time (well under a second)', (_name, bytes) => {
    const started = performance.now();
    checkShape(parseSyslog(bytes, opts));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

function randomBytes(n: number): Buffer {
  // A fixed LCG keeps the input reproducible without depending on crypto.
  const out = Buffer.allocUnsafe(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Valid RFC 5424 round trip

const printable = (min: number, max: number, exclude = '') =>
  fc.string({
    unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)).filter((c) => !exclude.includes(c)),
    minLength: min,
    maxLength: max,
  });
const headerField = (max: number) => fc.option(printable(1, max).filter((s) => s !== '-'), { nil: undefined });
const sdName = printable(1, 32, '= ]"');

interface Timestamp {
  text: string;
  expected: Date;
}

/** A valid RFC 5424 TIMESTAMP text and the instant it names. */
const timestamp: fc.Arbitrary<Timestamp> = fc
  .record({
    instant: fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9000-12-31T00:00:00Z'), noInvalidDate: true }),
    offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    fractionDigits: fc.integer({ min: 0, max: 6 }),
    zulu: fc.boolean(),
  })
  .map(({ instant, offsetMinutes, fractionDigits, zulu }) => {
    const offset = zulu ? 0 : offsetMinutes;
    const local = new Date(instant.getTime() + offset * 60_000).toISOString(); // YYYY-MM-DDThh:mm:ss.sssZ
    const ms = local.slice(20, 23);
    const fraction = fractionDigits === 0 ? '' : `.${(ms + '000').slice(0, fractionDigits)}`;
    const keptMs = Number((ms + '000').slice(0, Math.min(fractionDigits, 3)).padEnd(3, '0'));
    const abs = Math.abs(offset);
    const zone = zulu ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    const expected = new Date(instant.getTime() - instant.getUTCMilliseconds() + keptMs);
    return { text: `${local.slice(0, 19)}${fraction}${zone}`, expected };
  });

const sdElements = fc.uniqueArray(
  fc.record({ id: sdName, params: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c').chain((n) => fc.constantFrom(n, `${n}x`)), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 5 }) }),
  { selector: (e) => e.id, minLength: 1, maxLength: 4 },
);

const rfc5424 = fc.record({
  priority: fc.integer({ min: 0, max: 191 }),
  timestamp: fc.option(timestamp, { nil: undefined }),
  hostname: headerField(255),
  appName: headerField(48),
  procId: headerField(128),
  msgId: headerField(32),
  sd: fc.option(sdElements, { nil: undefined }),
  bom: fc.boolean(),
  msg: fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: undefined }),
});
type Rfc5424Input = typeof rfc5424 extends fc.Arbitrary<infer T> ? T : never;

function escapeValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function serialize(m: Rfc5424Input): Buffer {
  const sd = m.sd === undefined
    ? '-'
    : m.sd.map((e) => `[${e.id}${e.params.map(([k, v]) => ` ${k}="${escapeValue(v)}"`).join('')}]`).join('');
  const header = [m.timestamp?.text, m.hostname, m.appName, m.procId, m.msgId].map((f) => f ?? '-').join(' ');
  const msg = m.msg === undefined ? '' : ` ${m.bom ? '\uFEFF' : ''}${m.msg}`;
  return Buffer.from(`<${m.priority}>1 ${header} ${sd}${msg}`, 'utf8');
}

function expectedSd(elements: Rfc5424Input['sd']): StructuredData | undefined {
  if (elements === undefined) return undefined;
  // Object.fromEntries defines own keys, so even an SD-ID "__proto__" is modelled as a key.
  return Object.fromEntries(
    elements.map(({ id, params }) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of params) {
        const prev = out[k];
        out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      return [id, out];
    }),
  );
}

function expectedMessage(m: Rfc5424Input): string {
  if (m.msg === undefined) return '';
  const full = (m.bom ? '\uFEFF' : '') + m.msg;
  return full.startsWith('\uFEFF') ? full.slice(1) : full;
}

describe('parseRfc5424 on generated valid messages', () => {
  test('every field round-trips', () => {
    fc.assert(
      fc.property(rfc5424, (m) => {
        const outcome = parseRfc5424(serialize(m), opts);
        if (!outcome.ok) throw new Error(outcome.reason);
        const v = outcome.value;
        expect(v.priority).toBe(m.priority);
        expect(v.timestamp).toEqual(m.timestamp?.expected);
        expect(v.timestampText).toBe(m.timestamp?.text);
        expect([v.hostname, v.appName, v.procId, v.msgId]).toEqual([m.hostname, m.appName, m.procId, m.msgId]);
        expect(v.structuredData).toEqual(expectedSd(m.sd));
        expect(v.message).toBe(expectedMessage(m));
        expect(v.warnings).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  test('parseSyslog detects them and agrees with parseRfc5424 when nothing trailing is trimmed', () => {
    fc.assert(
      fc.property(rfc5424.filter((m) => !/[\r\n\0]$/.test(m.msg ?? '')), (m) => {
        const bytes = serialize(m);
        expect(parseSyslog(bytes, opts)).toEqual(parseRfc5424(bytes, opts));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Framer

type StreamFrame = { kind: 'octets'; bytes: Buffer } | { kind: 'lf'; bytes: Buffer };

/** An LF frame: no LF inside, and a first byte that cannot start a MSG-LEN (so it is LF-framed). */
const lfFrame = fc
  .tuple(fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x0a && (b < 0x31 || b > 0x39)), fc.uint8Array({ maxLength: 120 }))
  .map(([first, rest]): StreamFrame => ({ kind: 'lf', bytes: Buffer.from([first, ...rest.filter((b) => b !== 0x0a)]) }));
const octetFrame = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a): StreamFrame => ({ kind: 'octets', bytes: Buffer.from(a) }));
const stream = fc.record({
  frames: fc.array(fc.oneof(lfFrame, octetFrame), { maxLength: 12 }),
  blankLinesAfter: fc.array(fc.nat({ max: 2 }), { maxLength: 12 }),
  unterminatedLast: fc.boolean(),
});
type Stream = typeof stream extends fc.Arbitrary<infer T> ? T : never;

function encode(s: Stream): Buffer {
  const parts = s.frames.map((f, i) => {
    const isLast = i === s.frames.length - 1;
    const blank = Buffer.alloc(s.blankLinesAfter[i] ?? 0, 0x0a);
    if (f.kind === 'octets') return Buffer.concat([Buffer.from(`${f.bytes.length} `), f.bytes, blank]);
    const terminator = isLast && s.unterminatedLast ? Buffer.alloc(0) : Buffer.from('\n');
    return Buffer.concat([f.bytes, terminator, blank]);
  });
  return Buffer.concat(parts);
}

function feed(framer: SyslogStreamFramer, bytes: Buffer, cuts: number[], maxFrameBytes: number): Frame[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const frames: Frame[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    frames.push(...framer.push(bytes.subarray(from, to)));
    expect(framer.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes);
    from = to;
  }
  return [...frames, ...framer.end()];
}

describe('SyslogStreamFramer on generated streams', () => {
  test('yields the frames that were encoded, with their framing', () => {
    fc.assert(
      fc.property(stream, (s) => {
        const framer = new SyslogStreamFramer({ maxFrameBytes: 1 << 20 });
        const frames = [...framer.push(encode(s)), ...framer.end()];
        expect(frames).toEqual(s.frames.map((f) => ({ bytes: f.bytes, framing: f.kind === 'octets' ? 'octet-counting' : 'lf', truncated: false })));
      }),
      { numRuns: 500 },
    );
  });

  test('any chunking yields the same frames as one chunk, also when frames are truncated', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 250 }), (s, cuts, maxFrameBytes) => {
        const bytes = encode(s);
        const whole = feed(new SyslogStreamFramer({ maxFrameBytes }), bytes, [], maxFrameBytes);
        const chunked = feed(new SyslogStreamFramer({ maxFrameBytes }), bytes, cuts, maxFrameBytes);
        expect(chunked).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  test('arbitrary bytes in arbitrary chunks never throw and keep memory within maxFrameBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (a, cuts, maxFrameBytes) => {
        const frames = feed(new SyslogStreamFramer({ maxFrameBytes }), Buffer.from(a), cuts, maxFrameBytes);
        for (const f of frames) expect(f.bytes.length).toBeLessThanOrEqual(maxFrameBytes);
      }),
      { numRuns: 500 },
    );
  });

  test('10 MB without an LF yields one frame of maxFrameBytes, buffering no more than that', () => {
    const maxFrameBytes = 64 * 1024;
    const framer = new SyslogStreamFramer({ maxFrameBytes });
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const total = 10 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) {
      expect(framer.push(chunk)).toEqual([]);
      expect(framer.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes);
    }
    const [frame, ...rest] = framer.end();
    expect(rest).toEqual([]);
    expect(frame).toMatchObject({ framing: 'lf', truncated: true, originalLength: total });
    expect(frame?.bytes.length).toBe(maxFrameBytes);
  });

  test('a 10 MB octet-counted frame is skipped past without buffering it', () => {
    const maxFrameBytes = 64 * 1024;
    const total = 10 * 1024 * 1024;
    const framer = new SyslogStreamFramer({ maxFrameBytes });
    framer.push(Buffer.from(`${total} `));
    const chunk = Buffer.alloc(64 * 1024, 0x0a); // LFs inside an octet-counted frame are just bytes
    const frames: Frame[] = [];
    for (let sent = 0; sent < total; sent += chunk.length) {
      frames.push(...framer.push(chunk));
      expect(framer.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes);
    }
    frames.push(...framer.push(Buffer.from('<13>next\n')));
    expect(frames.map((f) => [f.bytes.length, f.truncated, f.originalLength])).toEqual([[maxFrameBytes, true, total], [8, false, undefined]]);
  });
});
