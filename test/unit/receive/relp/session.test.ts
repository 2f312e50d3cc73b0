import net from 'node:net';
import pino from 'pino';
import type { Frame } from '../../../../pipeline/receive/syslog/frame';
import type { BoundListener, FrameSink, ListenerLimits, PeerInfo } from '../../../../pipeline/receive/syslog/listeners';
import { bindRelp, RELP_MAX_UNACKED, relpMaxDataBytes } from '../../../../pipeline/receive/relp/listener';
import { relpErrorEvents } from '../../../../pipeline/receive/relp/events';
import { RelpFrameParser, type RelpFrame } from '../../../../pipeline/receive/relp/frame-parser';
import type { RelpErrorCode } from '../../../../pipeline/receive/relp/session';
import { Metrics } from '../../../../pipeline/telemetry/metrics';
import { sleep, until } from '../../../support/listener-sinks';

// Real sockets on loopback with OS-chosen ports; the sink is a fake that acknowledges only when the test says.

const OFFERS = 'relp_version=0\nrelp_software=librelp,1.11.0,https://librelp.adiscon.com\ncommands=syslog';
function frame(txnr: number, command: string, data = ''): string {
  const len = Buffer.byteLength(data);
  return len === 0 ? `${txnr} ${command} 0\n` : `${txnr} ${command} ${len} ${data}\n`;
}

/** A sink that keeps every message with its onStored, to be called ("Kafka stored it") when the test wants. */
function laterSink(): FrameSink & { got: Array<{ frame: Frame; peer: PeerInfo; store: () => void }> } {
  const got: Array<{ frame: Frame; peer: PeerInfo; store: () => void }> = [];
  return {
    got,
    accept(f, peer, onStored) { got.push({ frame: f, peer, store: () => onStored?.() }); return true; },
    saturated: false,
    onDrain() { /* never saturated */ },
  };
}

/** A raw RELP client: writes what the test says, parses what the server answers. */
class Client {
  readonly frames: RelpFrame[] = [];
  closed = false;
  readonly parser = new RelpFrameParser({ maxDataBytes: 1 << 20, keepBytes: 1 << 20 });
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => { this.frames.push(...this.parser.push(c).frames); });
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => undefined);
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  send(s: string): void { this.socket.write(s); }
  answers(): string[] { return this.frames.map((f) => `${f.txnr} ${f.command} ${f.data.toString('utf8')}`); }
  async opened(): Promise<void> {
    this.send(frame(1, 'open', OFFERS));
    await until(() => this.frames.length >= 1, 'the open answer');
  }
}

const limits: ListenerLimits = { maxMessageBytes: 2048, udpReceiveBufferBytes: 1 << 20 };
const bound: BoundListener[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await Promise.all(bound.splice(0).map((l) => l.close()));
});

async function listen(sink: FrameSink, l: ListenerLimits = limits): Promise<{ port: number; errors: Array<[RelpErrorCode, string]> }> {
  const errors: Array<[RelpErrorCode, string]> = [];
  const b = await bindRelp({ transport: 'relp', host: '127.0.0.1', port: 0 }, sink, l, {
    onError: (_s, err) => { throw err; },
    onProtocolError: (_s, _peer, code, detail) => { errors.push([code, detail]); },
  });
  bound.push(b);
  return { port: b.address.port, errors };
}
async function client(port: number): Promise<Client> {
  const c = await Client.connect(port);
  clients.push(c);
  return c;
}

describe('RELP session', () => {
  it('answers open with its offers, exactly as librelp clients parse them', async () => {
    const { port } = await listen(laterSink());
    const c = await client(port);
    await c.opened();
    expect(c.frames[0]!.txnr).toBe(1);
    expect(c.frames[0]!.command).toBe('rsp');
    expect(c.frames[0]!.data.toString()).toBe('200 OK\nrelp_version=0\nrelp_software=haetae\ncommands=syslog');
  });

  it('acknowledges a message only once the sink says Kafka stored it', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', '<13>1 - host app - - - stored later'));
    await until(() => sink.got.length === 1, 'the message at the sink');
    expect(sink.got[0]!.frame).toEqual({ bytes: Buffer.from('<13>1 - host app - - - stored later'), framing: 'octet-counting', truncated: false });
    expect(sink.got[0]!.peer.transport).toBe('relp');
    await sleep(100);
    expect(c.frames).toHaveLength(1); // no answer while Kafka has not stored it
    sink.got[0]!.store();
    await until(() => c.frames.length === 2, 'the acknowledgement');
    expect(c.answers()[1]).toBe('2 rsp 200 OK');
  });

  it('answers in the order of the commands even when Kafka stores them out of order', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', 'm2') + frame(3, 'syslog', 'm3') + frame(4, 'syslog', 'm4'));
    await until(() => sink.got.length === 3, 'three messages');
    sink.got[2]!.store();
    await sleep(50);
    expect(c.frames).toHaveLength(1);
    sink.got[0]!.store();
    await until(() => c.frames.length === 2, 'the first acknowledgement');
    await sleep(50);
    expect(c.answers()).toEqual(['1 rsp ' + c.frames[0]!.data.toString(), '2 rsp 200 OK']);
    sink.got[1]!.store();
    await until(() => c.frames.length === 4, 'the rest');
    expect(c.frames.map((f) => f.txnr)).toEqual([1, 2, 3, 4]);
  });

  it('answers close after every message before it is stored, then closes the connection', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', 'last one') + frame(3, 'close'));
    await until(() => sink.got.length === 1, 'the message');
    await sleep(50);
    expect(c.frames).toHaveLength(1);
    expect(c.closed).toBe(false);
    sink.got[0]!.store();
    await until(() => c.closed, 'the server to close');
    expect(c.answers().slice(1)).toEqual(['2 rsp 200 OK', '3 rsp 200 OK']);
  });

  it('on receiver shutdown answers what it read once Kafka stores it, reads nothing more, then hints serverclose and closes', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', 'in flight at shutdown') + frame(3, 'syslog', 'also in flight'));
    await until(() => sink.got.length === 2, 'both messages');
    const listener = bound.splice(0)[0]!;
    const closed = listener.close();
    // Sent after the shutdown began: not read, so not answered (the client resends it to the next receiver).
    c.send(frame(4, 'syslog', 'after shutdown'));
    await sleep(50);
    expect(c.closed).toBe(false);
    sink.got[0]!.store();
    sink.got[1]!.store();
    await until(() => c.closed, 'the server to close');
    await closed;
    expect(c.answers().slice(1)).toEqual(['2 rsp 200 OK', '3 rsp 200 OK', '0 serverclose ']);
    expect(sink.got).toHaveLength(2);
  });

  it('on receiver shutdown with nothing owed, hints serverclose at once', async () => {
    const { port } = await listen(laterSink());
    const c = await client(port);
    await c.opened();
    await bound.splice(0)[0]!.close();
    await until(() => c.closed, 'the server to close');
    expect(c.answers().slice(1)).toEqual(['0 serverclose ']);
  });

  it('still answers a client that half-closed after sending, then closes', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', 'sent before FIN'));
    c.socket.end();
    await until(() => sink.got.length === 1, 'the message');
    sink.got[0]!.store();
    await until(() => c.closed, 'the server to close');
    expect(c.answers()[1]).toBe('2 rsp 200 OK');
  });

  it('answers 500 to an unknown command, counts it and goes on', async () => {
    const sink = laterSink();
    const { port, errors } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'starttls') + frame(3, 'syslog', 'after it'));
    await until(() => sink.got.length === 1, 'the message after the unknown command');
    sink.got[0]!.store();
    await until(() => c.frames.length === 3, 'both answers');
    expect(c.answers().slice(1)).toEqual(['2 rsp 500 command not supported', '3 rsp 200 OK']);
    expect(errors).toEqual([['HAETAE_RELP_COMMAND', "command 'starttls' is not supported (answered 500)"]]);
    expect(c.closed).toBe(false);
  });

  it.each([
    ['syslog before open', frame(1, 'syslog', 'too early'), 'HAETAE_RELP_OPEN', '1 rsp 500 sent syslog before open'],
    ['an open without commands=syslog', frame(1, 'open', 'relp_version=0\ncommands=eventlog'), 'HAETAE_RELP_OPEN', "1 rsp 500 its open does not offer commands=syslog (got 'eventlog')"],
    ['an open without relp_version', frame(1, 'open', 'commands=syslog'), 'HAETAE_RELP_OPEN', '1 rsp 500 its open offers no valid relp_version (got none)'],
  ])('refuses %s with 500, serverclose, and closes', async (_what, input, code, answer) => {
    const sink = laterSink();
    const { port, errors } = await listen(sink);
    const c = await client(port);
    c.send(input);
    await until(() => c.closed, 'the server to close');
    expect(c.answers()).toEqual([answer, '0 serverclose ']);
    expect(errors.map((e) => e[0])).toEqual([code]);
    expect(sink.got).toHaveLength(0);
  });

  it.each([
    ['a transaction number out of sequence', frame(3, 'syslog', 'skipped 2'), 'HAETAE_RELP_TXNR', 'frame syslog has transaction number 3 where 2 was due'],
    ['a malformed frame', '2 syslog 3 abcd\n', 'HAETAE_RELP_FRAME', /not ended by LF/],
    ['a giant DATALEN', '2 syslog 999999999 ', 'HAETAE_RELP_TOO_LARGE', `frame 2 (syslog) declares at least 999999 bytes of data, more than the ${relpMaxDataBytes(2048)} accepted`],
  ])('closes the session on %s with serverclose, counted', async (_what, input, code, detail) => {
    const sink = laterSink();
    const { port, errors } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(input);
    await until(() => c.closed, 'the server to close');
    expect(c.answers().slice(1)).toEqual(['0 serverclose ']);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(code);
    if (typeof detail === 'string') expect(errors[0]![1]).toContain(detail);
    else expect(errors[0]![1]).toMatch(detail);
    expect(sink.got).toHaveLength(0);
  });

  it('keeps the first maxMessageBytes of a longer message, tagged truncated, and acknowledges it', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    const long = `<13>${'x'.repeat(100_000)}`; // over maxMessageBytes (2048), under the 128 KiB librelp clients send at most
    c.send(frame(2, 'syslog', long));
    await until(() => sink.got.length === 1, 'the message');
    expect(sink.got[0]!.frame.bytes.length).toBe(2048);
    expect(sink.got[0]!.frame.truncated).toBe(true);
    expect(sink.got[0]!.frame.originalLength).toBe(long.length);
    sink.got[0]!.store();
    await until(() => c.frames.length === 2, 'the acknowledgement');
  });

  it('stops reading past the unacknowledged cap and reads on as Kafka stores', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    const total = 4 * RELP_MAX_UNACKED;
    let out = '';
    for (let i = 0; i < total; i++) out += frame(i + 2, 'syslog', `<13>message ${i}`);
    c.send(out);
    await until(() => sink.got.length >= RELP_MAX_UNACKED, 'the first window');
    await sleep(200);
    const held = sink.got.length;
    // The cap plus at most what one socket read carried past it; never the whole stream.
    expect(held).toBeLessThan(total);
    expect(held).toBeLessThan(RELP_MAX_UNACKED + 3_500);
    // Storing what it holds lets it read on, until everything is in and acknowledged.
    let storedUpTo = 0;
    await until(() => {
      while (storedUpTo < sink.got.length) sink.got[storedUpTo++]!.store();
      return c.frames.length === total + 1;
    }, 'every message acknowledged', 15_000);
    expect(sink.got).toHaveLength(total);
    expect(c.frames[total]!.txnr).toBe(total + 1);
  });

  it('answers nothing after the connection is gone (the client resends what was not answered)', async () => {
    const sink = laterSink();
    const { port } = await listen(sink);
    const c = await client(port);
    await c.opened();
    c.send(frame(2, 'syslog', 'in flight'));
    await until(() => sink.got.length === 1, 'the message');
    c.socket.destroy();
    await sleep(50);
    expect(() => sink.got[0]!.store()).not.toThrow(); // Kafka stores it after the session died: no write, no crash
    await sleep(20);
  });
});

describe('RELP protocol error events', () => {
  it('without onProtocolError, reports each error to onError as a HaetaeError carrying its code (counted by the receiver)', async () => {
    const got: Error[] = [];
    const b = await bindRelp({ transport: 'relp', host: '127.0.0.1', port: 0 }, laterSink(), limits, { onError: (_s, err) => { got.push(err); } });
    bound.push(b);
    const c = await client(b.address.port);
    c.send('GET / HTTP/1.1\r\n\r\n');
    await until(() => c.closed, 'the server to close');
    expect(got).toHaveLength(1);
    expect((got[0] as Error & { code: string }).code).toBe('HAETAE_RELP_FRAME');
    expect(got[0]!.message).toMatch(/^RELP client 127\.0\.0\.1:\d+ sent a malformed frame \(a frame must start with its transaction number, got 'G'\); the session is closed$/);
  });

  it('counts every error by code and logs once a minute per source', async () => {
    const metrics = new Metrics();
    const lines: Array<{ msg: string; code: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
    let t = 1_000_000;
    const ev = relpErrorEvents(log, metrics, () => t);
    const spec = { transport: 'relp' as const, host: '0.0.0.0', port: 2514 };
    const peer = (address: string): PeerInfo => ({ transport: 'relp', source: { address, port: 40000 }, listener: { address: '0.0.0.0', port: 2514 } });
    for (let i = 0; i < 5; i++) ev.onProtocolError(spec, peer('192.0.2.1'), 'HAETAE_RELP_FRAME', 'a frame must start with its transaction number');
    ev.onProtocolError(spec, peer('192.0.2.2'), 'HAETAE_RELP_TOO_LARGE', 'frame 2 (syslog) declares at least 999999 bytes');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.msg).toBe('RELP client 192.0.2.1:40000 sent a malformed frame (a frame must start with its transaction number); the session is closed. Counted in haetae_errors_total{error_type="HAETAE_RELP_FRAME"}; logged at most once a minute per source.');
    t += 60_000;
    ev.onProtocolError(spec, peer('192.0.2.1'), 'HAETAE_RELP_FRAME', 'again');
    expect(lines).toHaveLength(3);
    expect(lines[2]!.msg).toContain('(4 more RELP errors from 192.0.2.1 since the last line)');
    const byCode = Object.fromEntries((await metrics.errors.get()).values.map((v) => [v.labels.error_type, v.value]));
    expect(byCode).toEqual({ HAETAE_RELP_FRAME: 6, HAETAE_RELP_TOO_LARGE: 1 });
  });
});
