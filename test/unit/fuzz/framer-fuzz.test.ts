/**
 * Hostile and clumsy TCP senders against the RFC 6587 framer (issue 13): slow drip, half-open
 * connections, giant octet counts, mixed framing, CRLF, NUL bytes and random garbage. For every
 * stream: no exception escapes, the frames out equal the frames in wherever the input was
 * well-formed, and the framer never holds more than maxFrameBytes (its accumulator is its only
 * per-frame state; the rest is a few numbers).
 */
import fc from 'fast-check';
import type { Frame } from '../../../pipeline/receive/syslog/frame';
import { SyslogStreamFramer, type SyslogStreamFramerOptions } from '../../../pipeline/receive/syslog/framer';

interface InFrame {
  kind: 'octets' | 'lf';
  bytes: Buffer;
}

/** LF-framed: no LF inside, and a first byte that cannot start a MSG-LEN. NUL and CR bytes included. */
const lfFrame = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x0a && (b < 0x31 || b > 0x39)),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x0d, 0x20)), { maxLength: 80 }),
  )
  .map(([first, rest]): InFrame => ({ kind: 'lf', bytes: Buffer.from([first, ...rest.filter((b) => b !== 0x0a)]) }));
/** Octet-counted: any bytes, LFs and digits included. */
const octetFrame = fc.uint8Array({ minLength: 1, maxLength: 120 }).map((a): InFrame => ({ kind: 'octets', bytes: Buffer.from(a) }));
const frames = fc.array(fc.oneof(lfFrame, octetFrame), { minLength: 1, maxLength: 10 });

/** Encodes frames as one stream; `crlf` ends LF frames with CR LF as Windows senders do. */
function encode(input: InFrame[], crlf = false): { bytes: Buffer; ends: number[] } {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let length = 0;
  for (const f of input) {
    const part = f.kind === 'octets'
      ? Buffer.concat([Buffer.from(`${f.bytes.length} `), f.bytes])
      : Buffer.concat([f.bytes, Buffer.from(crlf ? '\r\n' : '\n')]);
    parts.push(part);
    length += part.length;
    ends.push(length);
  }
  return { bytes: Buffer.concat(parts), ends };
}

function expected(input: InFrame[], crlf = false): Frame[] {
  return input.map((f) => ({
    bytes: f.kind === 'lf' && crlf ? Buffer.concat([f.bytes, Buffer.from('\r')]) : f.bytes,
    framing: f.kind === 'octets' ? 'octet-counting' : 'lf',
    truncated: false,
  }));
}

/** Feeds `bytes` in the given chunk sizes (cycled), checking the memory bound after every push. */
function feed(bytes: Buffer, chunkSizes: number[], opts: SyslogStreamFramerOptions, end = true): { frames: Frame[]; framer: SyslogStreamFramer } {
  const framer = new SyslogStreamFramer(opts);
  const out: Frame[] = [];
  let at = 0;
  for (let n = 0; at < bytes.length; n++) {
    const size = Math.max(1, chunkSizes.length === 0 ? bytes.length : (chunkSizes[n % chunkSizes.length] ?? 1));
    out.push(...framer.push(bytes.subarray(at, at + size)));
    expect(framer.bufferedBytes).toBeLessThanOrEqual(opts.maxFrameBytes);
    at += size;
  }
  if (end) out.push(...framer.end());
  return { frames: out, framer };
}

describe('slow drip', () => {
  test('one byte per push yields exactly the frames sent, in order', () => {
    fc.assert(
      fc.property(frames, (input) => {
        const { bytes } = encode(input);
        expect(feed(bytes, [1], { maxFrameBytes: 1024 }).frames).toEqual(expected(input));
      }),
      { numRuns: 300 },
    );
  });

  test('random small chunks (1-7 bytes) yield the same frames', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (input, sizes) => {
        expect(feed(encode(input).bytes, sizes, { maxFrameBytes: 1024 }).frames).toEqual(expected(input));
      }),
      { numRuns: 300 },
    );
  });
});

describe('half-open: the connection ends mid-frame', () => {
  test('frames completed before the cut are exact; at most one more, which is the start of the next', () => {
    fc.assert(
      fc.property(frames, fc.nat(), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 5 }), (input, cutSeed, sizes) => {
        const { bytes, ends } = encode(input);
        const cut = cutSeed % (bytes.length + 1);
        const out = feed(bytes.subarray(0, cut), sizes, { maxFrameBytes: 1024 }).frames;
        const complete = ends.filter((e) => e <= cut).length;
        expect(out.slice(0, complete)).toEqual(expected(input).slice(0, complete));
        const rest = out.slice(complete);
        expect(rest.length).toBeLessThanOrEqual(1);
        const partial = rest[0];
        const next = input[complete];
        if (partial === undefined || next === undefined) return;
        const start = complete === 0 ? 0 : (ends[complete - 1] ?? 0);
        const sentOfNext = bytes.subarray(start, cut);
        if (next.kind === 'octets' && sentOfNext.includes(0x20)) {
          // The MSG-LEN was complete: a truncated frame with the declared length.
          expect(partial).toMatchObject({ framing: 'octet-counting', truncated: true, originalLength: next.bytes.length });
          expect(next.bytes.subarray(0, partial.bytes.length).equals(partial.bytes)).toBe(true);
        } else {
          // An unterminated LF frame, or the digits of a MSG-LEN cut before its SP: the bytes that came.
          expect(partial).toEqual({ bytes: sentOfNext, framing: 'lf', truncated: false });
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('a connection that ends inside a giant octet-counted frame flushes what it kept, not more', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 64 });
    framer.push(Buffer.from('1000000 '));
    for (let i = 0; i < 100; i++) framer.push(Buffer.alloc(1000, 0x41));
    expect(framer.bufferedBytes).toBeLessThanOrEqual(64);
    const [frame, ...more] = framer.end();
    expect(more).toEqual([]);
    expect(frame).toMatchObject({ framing: 'octet-counting', truncated: true, originalLength: 1_000_000 });
    expect(frame?.bytes.length).toBe(64);
  });
});

describe('giant octet-count prefixes', () => {
  test('twelve digits are no MSG-LEN: the line is an LF frame and the stream stays in sync', () => {
    const { frames: out } = feed(Buffer.from('999999999999 <13>x\n5 <13>y'), [3], { maxFrameBytes: 1024 });
    expect(out).toEqual([
      { bytes: Buffer.from('999999999999 <13>x'), framing: 'lf', truncated: false },
      { bytes: Buffer.from('<13>y'), framing: 'octet-counting', truncated: false },
    ]);
  });

  test('by default ten digits are believed: the frame is skipped past without buffering it', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 128 });
    expect(framer.push(Buffer.from('9999999999 '))).toEqual([]);
    for (let i = 0; i < 64; i++) {
      expect(framer.push(Buffer.alloc(16 * 1024, 0x0a))).toEqual([]);
      expect(framer.bufferedBytes).toBeLessThanOrEqual(128);
    }
    expect(framer.framingErrors).toBe(0);
  });

  test('with maxDeclaredLength (rsyslog maxFrameSize), a larger MSG-LEN is an LF frame and counted; one within it is honoured (truncated)', () => {
    const opts = { maxFrameBytes: 1024, maxDeclaredLength: 200_000 };
    const { frames: out, framer } = feed(Buffer.from('9999999999 <13>garbage\n200000 x\n12 <13>ok\n'), [], opts);
    expect(out.map((f) => [f.bytes.toString('latin1'), f.framing])).toEqual([
      ['9999999999 <13>garbage', 'lf'],
      ['x\n12 <13>ok\n', 'octet-counting'],
    ]);
    expect(out[1]).toMatchObject({ truncated: true, originalLength: 200_000 });
    expect(framer.framingErrors).toBe(1);
  });

  test('the limit holds when the MSG-LEN arrives one digit at a time', () => {
    const { frames: out, framer } = feed(Buffer.from('200001 <13>a\n'), [1], { maxFrameBytes: 1024, maxDeclaredLength: 200_000 });
    expect(out).toEqual([{ bytes: Buffer.from('200001 <13>a'), framing: 'lf', truncated: false }]);
    expect(framer.framingErrors).toBe(1);
  });

  test('rejects a maxDeclaredLength that is not a positive integer', () => {
    expect(() => new SyslogStreamFramer({ maxFrameBytes: 10, maxDeclaredLength: 0 })).toThrow('maxDeclaredLength must be a positive integer, got 0');
  });

  test('random digit runs and lengths never throw and never buffer past the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[1-9][0-9]{0,14} $/), fc.constantFrom('\n', 'x', ' ', '<13>a\n')), { maxLength: 30 }),
        fc.integer({ min: 1, max: 64 }),
        fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
        (parts, maxFrameBytes, maxDeclaredLength) => {
          const { frames: out } = feed(Buffer.from(parts.join(''), 'latin1'), [5], { maxFrameBytes, maxDeclaredLength });
          for (const f of out) expect(f.bytes.length).toBeLessThanOrEqual(maxFrameBytes);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('mixed framing, CRLF and NUL', () => {
  test('CRLF senders: each LF frame keeps its CR for the parser to trim; octet frames are untouched', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 5 }), (input, sizes) => {
        expect(feed(encode(input, true).bytes, sizes, { maxFrameBytes: 1024 }).frames).toEqual(expected(input, true));
      }),
      { numRuns: 300 },
    );
  });

  test('NUL is content, not a delimiter (Juniper NetScreen style "msg\\0" is one frame per LF)', () => {
    const { frames: out } = feed(Buffer.from('<13>a\0<13>b\0\n6 <13>\0\0\n'), [2], { maxFrameBytes: 1024 });
    expect(out.map((f) => f.bytes.toString('latin1'))).toEqual(['<13>a\0<13>b\0', '<13>\0\0']);
  });

  test('octet-counted frames followed by a stray LF (some senders add one) lose nothing', () => {
    const { frames: out } = feed(Buffer.from('5 <13>a\n5 <13>b\n<13>c\n'), [1], { maxFrameBytes: 1024 });
    expect(out.map((f) => [f.bytes.toString('latin1'), f.framing])).toEqual([['<13>a', 'octet-counting'], ['<13>b', 'octet-counting'], ['<13>c', 'lf']]);
  });
});

describe('random garbage', () => {
  test('never throws, never buffers past the limit, never emits more bytes than it received', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 128 }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        (a, sizes, maxFrameBytes, maxDeclaredLength) => {
          const bytes = Buffer.from(a);
          const { frames: out } = feed(bytes, sizes, { maxFrameBytes, maxDeclaredLength });
          let total = 0;
          for (const f of out) {
            expect(f.bytes.length).toBeLessThanOrEqual(maxFrameBytes);
            total += f.bytes.length;
          }
          expect(total).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('garbage then a well-formed tail: after an LF the framer is back in sync', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), frames, (junk, input) => {
        // Garbage that ends inside an octet count would swallow what follows, as it must: end the
        // garbage with a non-digit line so the tail starts a fresh frame.
        const garbage = Buffer.concat([Buffer.from(junk).filter((b) => b < 0x30 || b > 0x39), Buffer.from('x\n')]);
        const { bytes } = encode(input);
        const out = feed(Buffer.concat([garbage, bytes]), [7], { maxFrameBytes: 1024 }).frames;
        expect(out.slice(out.length - input.length)).toEqual(expected(input));
      }),
      { numRuns: 300 },
    );
  });

  test('an empty push is harmless at any point', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 16 });
    expect(framer.push(Buffer.alloc(0))).toEqual([]);
    framer.push(Buffer.from('3 a'));
    expect(framer.push(Buffer.alloc(0))).toEqual([]);
    expect(framer.push(Buffer.from('bc'))).toEqual([{ bytes: Buffer.from('abc'), framing: 'octet-counting', truncated: false }]);
  });
});
