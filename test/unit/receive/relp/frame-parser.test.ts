import { RelpFrameParser, rspFrame, type RelpFrame } from '../../../../pipeline/receive/relp/frame-parser';

const OFFERS = 'relp_version=0\nrelp_software=librelp,1.11.0,https://librelp.adiscon.com\ncommands=syslog';
const MSG1 = '<13>1 2026-12-04T12:00:00Z host app - - - hello world';
// DATA may hold LF, SP and digits: only DATALEN says where it ends.
const MSG2 = '<14>Dec  4 12:00:01 host app: line one\nline 2 999 \n';

function frame(txnr: number, command: string, data = ''): string {
  const len = Buffer.byteLength(data);
  return len === 0 ? `${txnr} ${command} 0\n` : `${txnr} ${command} ${len} ${data}\n`;
}

const STREAM = [frame(1, 'open', OFFERS), frame(2, 'syslog', MSG1), frame(3, 'syslog', MSG2), frame(4, 'close')].join('');

function simple(frames: RelpFrame[]): Array<[number, string, string, boolean]> {
  return frames.map((f) => [f.txnr, f.command, f.data.toString('utf8'), f.truncated]);
}

const EXPECTED: Array<[number, string, string, boolean]> = [[1, 'open', OFFERS, false], [2, 'syslog', MSG1, false], [3, 'syslog', MSG2, false], [4, 'close', '', false]];

/** Feeds `bytes` in chunks of the given sizes (cycled) and collects frames and the first error. */
function feed(parser: RelpFrameParser, bytes: Buffer, sizes: number[]): { frames: RelpFrame[]; error?: Error } {
  const frames: RelpFrame[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = sizes[k++ % sizes.length]!;
    const r = parser.push(bytes.subarray(i, i + n));
    frames.push(...r.frames);
    if (r.error) return { frames, error: r.error };
    i += n;
  }
  return { frames };
}

/** A small deterministic PRNG (mulberry32): the same "random" input on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const opts = { maxDataBytes: 4096, keepBytes: 1024 };

describe('RELP frame parser', () => {
  it('reads librelp frames: open with offers, syslog with data holding LF and digits, close without data', () => {
    const { frames, error } = feed(new RelpFrameParser(opts), Buffer.from(STREAM), [STREAM.length]);
    expect(error).toBeUndefined();
    expect(simple(frames)).toEqual(EXPECTED);
    expect(frames[1]!.dataLength).toBe(Buffer.byteLength(MSG1));
  });

  it('gives the same frames however the stream is cut: byte by byte (slow drip), and at every split point', () => {
    const bytes = Buffer.from(STREAM);
    expect(simple(feed(new RelpFrameParser(opts), bytes, [1]).frames)).toEqual(EXPECTED);
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new RelpFrameParser(opts);
      const frames = [...p.push(bytes.subarray(0, cut)).frames, ...p.push(bytes.subarray(cut)).frames];
      expect([cut, simple(frames)]).toEqual([cut, EXPECTED]);
    }
  });

  it('reads many frames merged into one chunk and cut at random sizes alike', () => {
    const many = Array.from({ length: 500 }, (_, i) => frame(i + 1, 'syslog', `<13>message ${i}`)).join('');
    const bytes = Buffer.from(many);
    const whole = feed(new RelpFrameParser(opts), bytes, [bytes.length]).frames;
    expect(whole).toHaveLength(500);
    expect(whole[499]!.data.toString()).toBe('<13>message 499');
    const rnd = prng(7);
    const sizes = Array.from({ length: 97 }, () => 1 + Math.floor(rnd() * 300));
    expect(simple(feed(new RelpFrameParser(opts), bytes, sizes).frames)).toEqual(simple(whole));
  });

  it('refuses a giant DATALEN as soon as its digits pass the limit, before any data, holding nothing', () => {
    const p = new RelpFrameParser(opts);
    const r = p.push(Buffer.from('1 syslog 99999'));
    expect(r.frames).toEqual([]);
    expect(r.error?.name).toBe('RelpFrameError');
    expect((r.error as { code?: string }).code).toBe('HAETAE_RELP_TOO_LARGE');
    // 9999 already passes 4096: the fifth digit is never waited for.
    expect(r.error!.message).toBe('frame 1 (syslog) declares at least 9999 bytes of data, more than the 4096 accepted');
    expect(p.bufferedBytes).toBe(0);
    // The stream stays failed: nothing after it is read as a frame.
    expect(p.push(Buffer.from(frame(2, 'syslog', 'x'))).frames).toEqual([]);
  });

  it('keeps the first keepBytes of a long message and reads the rest without holding it', () => {
    const p = new RelpFrameParser({ maxDataBytes: 4096, keepBytes: 100 });
    const long = 'a'.repeat(3000);
    const { frames, error } = feed(p, Buffer.from(frame(1, 'syslog', long) + frame(2, 'syslog', 'after')), [1, 7, 4000]);
    expect(error).toBeUndefined();
    expect(frames.map((f) => [f.data.length, f.dataLength, f.truncated])).toEqual([[100, 3000, true], [5, 5, false]]);
    expect(frames[0]!.data.toString()).toBe('a'.repeat(100));
    expect(p.bufferedBytes).toBe(0);
  });

  it.each([
    ['a non-digit transaction number', 'x syslog 1 a\n', /start with its transaction number/],
    ['a transaction number over 9 digits', '1234567890 syslog 1 a\n', /longer than 9 digits/],
    ['a command with a digit', '1 sys1og 1 a\n', /followed by '1'/],
    ['a command over 32 letters', `1 ${'a'.repeat(33)} 1 a\n`, /longer than 32 letters/],
    ['an empty command', '1  1 a\n', /command '' followed by byte 0x20/],
    ['a missing DATALEN', '1 syslog \n', /has no DATALEN/],
    ['a DATALEN over 9 digits of zeros', '1 syslog 0000000000 a\n', /DATALEN longer than 9 digits/],
    ['no SP before the data', '1 syslog 1\na\n', /DATALEN 1 followed by byte 0x0a/],
    ['no LF after the data', '1 syslog 1 ab\n', /not ended by LF .* \(got 'b'\)/],
    ['a SP after DATALEN 0', '1 close 0 \n', /not ended by LF/],
    ['TLS (a ClientHello) on the plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', /byte 0x16/],
    ['an HTTP request', 'GET / HTTP/1.1\r\n\r\n', /got 'G'/],
  ])('ends the stream on %s, with a message saying what was wrong', (_what, input, message) => {
    const p = new RelpFrameParser(opts);
    const r = feed(p, Buffer.from(input, 'latin1'), [1]);
    expect(r.frames).toEqual([]);
    expect((r.error as { code?: string } | undefined)?.code).toBe('HAETAE_RELP_FRAME');
    expect(r.error!.message).toMatch(message);
  });

  it('returns the good frames before a broken one, then the error', () => {
    const r = new RelpFrameParser(opts).push(Buffer.from(`${frame(1, 'open', OFFERS)}${frame(2, 'syslog', 'ok')}2 syslog x\n${frame(3, 'syslog', 'never')}`));
    expect(simple(r.frames)).toEqual([[1, 'open', OFFERS, false], [2, 'syslog', 'ok', false]]);
    expect(r.error?.message).toMatch(/DATALEN/);
  });

  it('never throws and never holds more than keepBytes on random garbage and mutated frames', () => {
    const rnd = prng(42);
    const good = Buffer.from(STREAM);
    for (let run = 0; run < 2000; run++) {
      const p = new RelpFrameParser({ maxDataBytes: 300, keepBytes: 64 });
      let input: Buffer;
      if (run % 2 === 0) {
        input = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)));
      } else {
        input = Buffer.from(good);
        for (let m = 0; m < 3; m++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      }
      const sizes = [1 + Math.floor(rnd() * 50)];
      expect(() => feed(p, input, sizes)).not.toThrow();
      expect(p.bufferedBytes).toBeLessThanOrEqual(64);
    }
  });

  it('writes answers as librelp reads them', () => {
    expect(rspFrame(7, '200 OK')).toBe('7 rsp 6 200 OK\n');
    expect(rspFrame(9, '')).toBe('9 rsp 0\n');
    // DATALEN counts bytes, not characters.
    expect(rspFrame(1, '500 é')).toBe('1 rsp 6 500 é\n');
  });
});
