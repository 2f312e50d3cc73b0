import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from '../../../../pipeline/receive/syslog/frame';
import { datagramFrame, SyslogStreamFramer } from '../../../../pipeline/receive/syslog/framer';

/** Frames as comparable plain data: bytes as latin1 text so any byte survives. */
function simple(frames: Frame[]): Array<{ text: string; framing: string; truncated: boolean; originalLength?: number }> {
  return frames.map((f) => ({
    text: f.bytes.toString('latin1'),
    framing: f.framing,
    truncated: f.truncated,
    ...(f.originalLength === undefined ? {} : { originalLength: f.originalLength }),
  }));
}

function frameAll(chunks: string[], maxFrameBytes = 1024): ReturnType<typeof simple> {
  const framer = new SyslogStreamFramer({ maxFrameBytes });
  const frames = chunks.flatMap((c) => framer.push(Buffer.from(c, 'latin1')));
  return simple([...frames, ...framer.end()]);
}

const lf = (text: string) => ({ text, framing: 'lf', truncated: false });
const octets = (text: string) => ({ text, framing: 'octet-counting', truncated: false });

describe('SyslogStreamFramer non-transparent (LF) framing', () => {
  test('each LF ends a frame and is not part of it', () => {
    expect(frameAll(['<13>a\n<13>b\n'])).toEqual([lf('<13>a'), lf('<13>b')]);
  });

  test('a CR before the LF is kept for the parser to trim', () => {
    expect(frameAll(['<13>a\r\n'])).toEqual([lf('<13>a\r')]);
  });

  test('empty lines are skipped', () => {
    expect(frameAll(['\n\n<13>a\n\n\n<13>b\n\n'])).toEqual([lf('<13>a'), lf('<13>b')]);
  });

  test('a last frame without LF is flushed when the connection ends', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 100 });
    expect(framer.push(Buffer.from('<13>a\n<13>b'))).toHaveLength(1);
    expect(simple(framer.end())).toEqual([lf('<13>b')]);
  });

  test('end with nothing pending yields no frame', () => {
    expect(frameAll(['<13>a\n'])).toEqual([lf('<13>a')]);
    expect(new SyslogStreamFramer({ maxFrameBytes: 10 }).end()).toEqual([]);
  });

  test('a frame split over many chunks is reassembled', () => {
    expect(frameAll(['<1', '3>hel', 'lo wor', 'ld', '\n'])).toEqual([lf('<13>hello world')]);
  });

  test('a frame starting with 0 is LF-framed, since a MSG-LEN has no leading zero', () => {
    expect(frameAll(['05 abcde\n'])).toEqual([lf('05 abcde')]);
  });
});

describe('SyslogStreamFramer octet counting', () => {
  test('MSG-LEN SP MSG yields exactly MSG-LEN bytes, LFs included', () => {
    expect(frameAll(['10 <13>a\nb\nc\n5 <13>d'])).toEqual([octets('<13>a\nb\nc\n'), octets('<13>d')]);
  });

  test('octet-counted and LF frames can alternate frame by frame', () => {
    // The LF after '<13>c' is an empty LF line between frames, and is skipped.
    expect(frameAll(['5 <13>a<13>b\n5 <13>c\n<13>d'])).toEqual([octets('<13>a'), lf('<13>b'), octets('<13>c'), lf('<13>d')]);
  });

  test('a non-digit before the SP makes the frame LF-framed, digits included', () => {
    expect(frameAll(['12ab hello\n'])).toEqual([lf('12ab hello')]);
  });

  test('digits ended by LF are an LF frame of those digits', () => {
    expect(frameAll(['123\n'])).toEqual([lf('123')]);
  });

  test('digits at the end of the connection are an LF frame of those digits', () => {
    expect(frameAll(['12', '3'])).toEqual([lf('123')]);
  });

  test('an eleventh digit means it was no MSG-LEN, and the whole line is one LF frame', () => {
    expect(frameAll(['12345678901 x\n'])).toEqual([lf('12345678901 x')]);
  });

  test('ten digits are still a MSG-LEN', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 4 });
    expect(framer.push(Buffer.from('1000000000 abcdef'))).toEqual([]);
    expect(simple(framer.end())).toEqual([{ text: 'abcd', framing: 'octet-counting', truncated: true, originalLength: 1_000_000_000 }]);
  });

  test('a MSG-LEN split across chunks is read whole', () => {
    expect(frameAll(['1', '0', ' <13>', 'hello!'])).toEqual([octets('<13>hello!')]);
  });

  test('an incomplete frame at the end comes back truncated with the declared length', () => {
    expect(frameAll(['20 <13>partial'])).toEqual([{ text: '<13>partial', framing: 'octet-counting', truncated: true, originalLength: 20 }]);
  });

  test('a MSG-LEN and SP with no bytes before the end is an empty truncated frame', () => {
    expect(frameAll(['5 '])).toEqual([{ text: '', framing: 'octet-counting', truncated: true, originalLength: 5 }]);
  });
});

describe('SyslogStreamFramer size limit', () => {
  test('a frame of exactly maxFrameBytes is not truncated', () => {
    expect(frameAll(['0123456789\n10 0123456789'], 10)).toEqual([lf('0123456789'), octets('0123456789')]);
  });

  test('an over-long LF frame yields its first maxFrameBytes bytes and its real length', () => {
    expect(frameAll(['<13>0123456789ABCDEF\n<13>ok\n'], 10)).toEqual([
      { text: '<13>012345', framing: 'lf', truncated: true, originalLength: 20 },
      lf('<13>ok'),
    ]);
  });

  test('an over-long LF frame split over chunks is measured to its LF', () => {
    expect(frameAll(['<13>01234', '56789', 'ABCDEF', '\n'], 10)).toEqual([{ text: '<13>012345', framing: 'lf', truncated: true, originalLength: 20 }]);
  });

  test('an over-long unterminated LF frame is flushed truncated at the end', () => {
    expect(frameAll(['<13>0123456789'], 4)).toEqual([{ text: '<13>', framing: 'lf', truncated: true, originalLength: 14 }]);
  });

  test('an octet-counted frame declared longer than the limit keeps the first bytes and skips the rest', () => {
    expect(frameAll(['14 <13>0123456789', '5 <13>x'], 8)).toEqual([
      { text: '<13>0123', framing: 'octet-counting', truncated: true, originalLength: 14 },
      octets('<13>x'),
    ]);
  });

  test('bytes past the limit are never buffered', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 100 });
    const chunk = Buffer.alloc(64, 0x61);
    framer.push(Buffer.from('100000 '));
    for (let i = 0; i < 1000; i++) {
      framer.push(chunk);
      expect(framer.bufferedBytes).toBeLessThanOrEqual(100);
    }
  });
});

describe('SyslogStreamFramer frames', () => {
  test('frame bytes are copies that later changes to the chunk do not affect', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 100 });
    const chunk = Buffer.from('<13>a\n');
    const [frame] = framer.push(chunk);
    chunk.fill(0);
    expect(frame?.bytes.toString()).toBe('<13>a');
  });

  test('a framer that has ended starts over on the next push', () => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 100 });
    framer.push(Buffer.from('9 <13>'));
    framer.end();
    expect(simple(framer.push(Buffer.from('<13>new\n')))).toEqual([lf('<13>new')]);
  });

  test.each([0, -1, 1.5, Number.NaN])('maxFrameBytes %p is rejected', (maxFrameBytes) => {
    expect(() => new SyslogStreamFramer({ maxFrameBytes })).toThrow(RangeError);
  });
});

describe('SyslogStreamFramer on real util-linux logger TCP output', () => {
  const captures = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/syslog/logger-captures.json'), 'utf8')) as {
    streams: Array<{ command: string; hex: string; framing: string; frames: string[] }>;
  };
  const cases = captures.streams.map((s) => [s.command, s] as const);

  test.each(cases)('%s is cut into the messages logger sent', (_command, stream) => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 8192 });
    const frames = [...framer.push(Buffer.from(stream.hex, 'hex')), ...framer.end()];
    expect(frames.map((f) => f.bytes.toString('utf8'))).toEqual(stream.frames);
    expect(frames.every((f) => f.framing === stream.framing && !f.truncated)).toBe(true);
  });

  test.each(cases)('%s fed one byte at a time gives the same frames', (_command, stream) => {
    const framer = new SyslogStreamFramer({ maxFrameBytes: 8192 });
    const bytes = Buffer.from(stream.hex, 'hex');
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...framer.push(bytes.subarray(i, i + 1)));
    frames.push(...framer.end());
    expect(frames.map((f) => f.bytes.toString('utf8'))).toEqual(stream.frames);
  });
});

describe('datagramFrame', () => {
  test('a datagram within the limit is one untruncated frame of the same bytes', () => {
    const msg = Buffer.from('<13>hello');
    expect(datagramFrame(msg, 9)).toEqual({ bytes: msg, framing: 'datagram', truncated: false });
  });

  test('a datagram over the limit keeps its first bytes and its length', () => {
    expect(datagramFrame(Buffer.from('<13>hello'), 4)).toEqual({ bytes: Buffer.from('<13>'), framing: 'datagram', truncated: true, originalLength: 9 });
  });

  test('an empty datagram is an empty frame (the parser reports it as empty)', () => {
    expect(datagramFrame(Buffer.alloc(0), 4)).toEqual({ bytes: Buffer.alloc(0), framing: 'datagram', truncated: false });
  });
});
