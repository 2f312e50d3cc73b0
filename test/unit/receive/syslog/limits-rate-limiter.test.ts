import fc from 'fast-check';
import pino from 'pino';
import { SourceRateLimiter, allowList } from '../../../../pipeline/receive/syslog/listeners';
import { checkDescriptorBudget, connectionLimitEvents, listenerLimits } from '../../../../pipeline/roles/receiver-sink';
import { Metrics } from '../../../../pipeline/telemetry/metrics';

// Time is passed in (ms, like performance.now()), so none of this waits or depends on the clock.

describe('SourceRateLimiter (per-source token bucket)', () => {
  it('lets a quiet source send its burst, then its rate, and refills with time up to the burst', () => {
    const rl = new SourceRateLimiter({ messagesPerSecond: 100, burst: 10 });
    let ok = 0;
    for (let i = 0; i < 50; i++) if (rl.tryTake('10.0.0.1', 0)) ok++;
    expect(ok).toBe(10);
    // 100/s: one token every 10 ms.
    expect(rl.tryTake('10.0.0.1', 5)).toBe(false);
    expect(rl.tryTake('10.0.0.1', 10)).toBe(true);
    expect(rl.tryTake('10.0.0.1', 10)).toBe(false);
    // A second's silence earns 100 tokens, but the bucket holds 10.
    ok = 0;
    for (let i = 0; i < 50; i++) if (rl.tryTake('10.0.0.1', 1_010)) ok++;
    expect(ok).toBe(10);
    // Over a long run the accepted rate is the configured one.
    let accepted = 0;
    for (let t = 2_000; t < 12_000; t += 1) if (rl.tryTake('10.0.0.1', t)) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(1_000);
    expect(accepted).toBeLessThanOrEqual(1_011);
  });

  it('keeps sources apart', () => {
    const rl = new SourceRateLimiter({ messagesPerSecond: 1, burst: 2 });
    expect([rl.tryTake('a', 0), rl.tryTake('a', 0), rl.tryTake('a', 0)]).toEqual([true, true, false]);
    expect([rl.tryTake('b', 0), rl.tryTake('b', 0), rl.tryTake('b', 0)]).toEqual([true, true, false]);
  });

  it('charges a stream for what it read, into debt, and says how long until it is paid back', () => {
    const rl = new SourceRateLimiter({ messagesPerSecond: 1_000, burst: 100 });
    expect(rl.charge('s', 60, 0)).toBe(0);
    // 60 + 540 = 600 read with 100 in the bucket: 500 in debt = 500 ms at 1,000/s.
    expect(rl.charge('s', 540, 0)).toBeCloseTo(500);
    expect(rl.waitMs('s', 200)).toBeCloseTo(300);
    expect(rl.waitMs('s', 500)).toBe(0);
    expect(rl.waitMs('unknown', 0)).toBe(0);
  });

  it('stays bounded with a million distinct sources, forgetting the least recently seen and counting it', () => {
    let evicted = 0;
    const rl = new SourceRateLimiter({ messagesPerSecond: 10, burst: 5, maxSources: 1_000 }, () => { evicted++; });
    let peak = 0;
    for (let i = 0; i < 1_000_000; i++) {
      rl.tryTake(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i / 1_000);
      if (rl.size > peak) peak = rl.size;
    }
    expect(peak).toBe(1_000);
    expect(evicted).toBe(1_000_000 - 1_000);
    // The newest 1,000 are the ones kept: the last one is still out of tokens after its burst.
    for (let k = 0; k < 5; k++) rl.tryTake('10.15.66.63', 1_000);
    expect(rl.tryTake('10.15.66.63', 1_000)).toBe(false);
    expect(evicted).toBe(1_000_000 - 1_000);
  });

  it('keeps a recently seen source while older ones are evicted', () => {
    const rl = new SourceRateLimiter({ messagesPerSecond: 1, burst: 3, maxSources: 100 });
    // The busy source spends its whole bucket, then 99 others arrive.
    for (let i = 0; i < 3; i++) rl.tryTake('busy', 0);
    for (let i = 0; i < 99; i++) rl.tryTake(`o${i}`, 500);
    // A second later it is seen again (moved to the newest end), then 50 more new sources arrive.
    expect(rl.tryTake('busy', 1_500)).toBe(true);
    for (let i = 0; i < 50; i++) rl.tryTake(`n${i}`, 1_600);
    // Still tracked: still empty (evicted, it would have a full bucket again).
    expect(rl.tryTake('busy', 1_600)).toBe(false);
    expect(rl.size).toBe(100);
  });

  it('never lets through more than burst + rate × elapsed, whatever the arrival times', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5_000 }),
      fc.integer({ min: 1, max: 1_000 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 300 }),
      (rate, burst, arrivals) => {
        const rl = new SourceRateLimiter({ messagesPerSecond: rate, burst });
        let t = 0;
        let accepted = 0;
        for (const [gap, count] of arrivals) {
          t += gap;
          for (let i = 0; i < count; i++) if (rl.tryTake('s', t)) accepted++;
          if (accepted > burst + (rate * t) / 1000 + 1e-9) return false;
        }
        return true;
      },
    ), { numRuns: 300 });
  });

  it('refuses a limit that could never let anything through', () => {
    expect(() => new SourceRateLimiter({ messagesPerSecond: 0, burst: 1 })).toThrow(/messagesPerSecond > 0/);
    expect(() => new SourceRateLimiter({ messagesPerSecond: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});

describe('allow lists', () => {
  const spec = { transport: 'udp' as const, host: '::', port: 5514 };

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 sources against IPv4 and IPv6 networks', () => {
    const allowed = allowList({ ...spec, allow: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'] })!;
    expect(allowed('10.1.2.3')).toBe(true);
    expect(allowed('::ffff:10.1.2.3')).toBe(true);
    expect(allowed('192.0.2.7')).toBe(true);
    expect(allowed('192.0.2.8')).toBe(false);
    expect(allowed('11.0.0.1')).toBe(false);
    expect(allowed('::ffff:11.0.0.1')).toBe(false);
    expect(allowed('2001:db8:1::5')).toBe(true);
    expect(allowed('2001:db9::5')).toBe(false);
    expect(allowed('::1')).toBe(false);
    expect(allowed('')).toBe(false);
  });

  it('allows every source when there is no list', () => {
    expect(allowList(spec)).toBeNull();
  });

  it('names a bad entry with its key', () => {
    expect(() => allowList({ ...spec, allow: ['10.0.0.0/8', 'example.com'] }, '/receiver/listeners/2/allow'))
      .toThrow("/receiver/listeners/2/allow[1]: 'example.com' is not an IP address or CIDR network");
    expect(() => allowList({ ...spec, allow: ['10.0.0.0/33'] }, 'x')).toThrow(/x\[0\]/);
  });
});

describe('limit hits counted per source and reason', () => {
  const spec = { transport: 'udp' as const, host: '0.0.0.0', port: 5514 };
  const limits = { maxConnections: 1024, maxConnectionsPerSource: 64, idleTimeoutMs: 300_000, rateLimit: { messagesPerSecond: 100, burst: 200 } };

  function capture(): { log: pino.Logger; lines: Array<{ msg: string; source?: string; reason?: string }> } {
    const lines: Array<{ msg: string; source?: string }> = [];
    return { log: pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } }), lines };
  }

  it('labels the first 100 distinct sources and counts the rest as "other", with nothing lost', async () => {
    const metrics = new Metrics();
    const events = connectionLimitEvents(limits, pino({ level: 'silent' }), metrics);
    for (let i = 0; i < 1_000; i++) for (let k = 0; k < 3; k++) events.onLimited!(spec, `10.0.${i >> 8}.${i & 255}`, 'rate_limit', 'dropped');
    const all = (await metrics.registry.getSingleMetric('haetae_receiver_limited_total')!.get()).values;
    expect(all.length).toBe(101);
    expect(all.reduce((n, v) => n + v.value, 0)).toBe(3_000);
    expect(await metrics.value('haetae_receiver_limited_total', { listener: 'udp/0.0.0.0:5514', source: '10.0.0.0', reason: 'rate_limit' })).toBe(3);
    expect(await metrics.value('haetae_receiver_limited_total', { source: 'other', reason: 'rate_limit' })).toBe(900 * 3);
    // Dropped datagrams are drops: the stage's drop counter has them too.
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })).toBe(3_000);
  });

  it('counts a paused stream without calling it a drop, and overload drops once (the sink counts those)', async () => {
    const metrics = new Metrics();
    const events = connectionLimitEvents(limits, pino({ level: 'silent' }), metrics);
    events.onLimited!({ ...spec, transport: 'tcp' }, '10.9.9.9', 'rate_limit', 'paused');
    events.onLimited!(spec, '10.9.9.9', 'overload', 'dropped');
    expect(await metrics.value('haetae_receiver_limited_total', { listener: 'tcp/0.0.0.0:5514', source: '10.9.9.9', reason: 'rate_limit' })).toBe(1);
    expect(await metrics.value('haetae_receiver_limited_total', { listener: 'udp/0.0.0.0:5514', source: '10.9.9.9', reason: 'overload' })).toBe(1);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })).toBe(0);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'overload' })).toBe(0);
  });

  it('counts connection refusals per source and keeps the old drop counter', async () => {
    const metrics = new Metrics();
    const events = connectionLimitEvents(limits, pino({ level: 'silent' }), metrics);
    events.onConnectionRefused!({ ...spec, transport: 'tcp' }, '10.0.0.5', 'total');
    events.onConnectionRefused!({ ...spec, transport: 'tcp' }, '10.0.0.5', 'source');
    events.onConnectionRefused!({ ...spec, transport: 'tcp' }, '10.0.0.5', 'source');
    events.onIdleClose!({ ...spec, transport: 'tcp' }, '10.0.0.5:4444', 0, '10.0.0.5');
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'connection_limit' })).toBe(3);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '10.0.0.5', reason: 'connection_limit' })).toBe(1);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '10.0.0.5', reason: 'source_connection_limit' })).toBe(2);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '10.0.0.5', reason: 'idle_timeout' })).toBe(1);
  });

  it('logs once a minute per source and reason, with how many since the last line', () => {
    let t = 0;
    const { log, lines } = capture();
    const events = connectionLimitEvents(limits, log, new Metrics(), () => t);
    for (let i = 0; i < 5; i++) events.onLimited!(spec, '10.0.0.1', 'not_allowed', 'dropped');
    events.onLimited!(spec, '10.0.0.1', 'rate_limit', 'dropped');
    events.onLimited!(spec, '10.0.0.2', 'not_allowed', 'dropped');
    expect(lines.map((l) => [l.source, l.reason])).toEqual([['10.0.0.1', 'not_allowed'], ['10.0.0.1', 'rate_limit'], ['10.0.0.2', 'not_allowed']]);
    expect(lines[0]!.msg).toContain("not in the listener's allowed networks");
    expect(lines[1]!.msg).toContain('100 messages/s, burst 200');
    t = 59_999;
    events.onLimited!(spec, '10.0.0.1', 'not_allowed', 'dropped');
    expect(lines.length).toBe(3);
    t = 60_000;
    events.onLimited!(spec, '10.0.0.1', 'not_allowed', 'dropped', 'custom detail from a TLS listener');
    expect(lines.length).toBe(4);
    expect(lines[3]!.msg).toContain('custom detail from a TLS listener (5 more since the last line)');
  });

  it('keeps its log memory bounded under a flood of distinct sources', () => {
    const { log, lines } = capture();
    const events = connectionLimitEvents(limits, log, new Metrics(), () => 0);
    for (let i = 0; i < 30_000; i++) events.onLimited!(spec, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 'not_allowed', 'dropped');
    // All fresh within the minute: the first 10,000 are logged, the rest only counted.
    expect(lines.length).toBe(10_000);
  });
});

describe('limits a listener gets', () => {
  const r = { maxMessageBytes: 65_536, udpReceiveBufferBytes: 8 << 20, maxConnections: 1024, maxConnectionsPerSource: 64, idleTimeoutMs: 300_000, rateLimit: { messagesPerSecond: 20_000, burst: 100_000, maxSources: 10_000 } };

  it('takes the receiver-wide ones unless the listener entry sets its own', () => {
    expect(listenerLimits(r, {})).toMatchObject({ maxConnections: 1024, maxConnectionsPerSource: 64, rateLimit: { messagesPerSecond: 20_000, burst: 100_000, maxSources: 10_000 } });
    expect(listenerLimits(r, { maxConnections: 10, rateLimit: { messagesPerSecond: 0 } })).toMatchObject({ maxConnections: 10, maxConnectionsPerSource: 64, rateLimit: { messagesPerSecond: 0, burst: 100_000 } });
  });

  it('warns when the stream listeners could hold more connections than the process may open files', () => {
    const { log, lines } = (() => {
      const out: Array<{ msg: string }> = [];
      return { log: pino({ level: 'info' }, { write: (s: string) => { out.push(JSON.parse(s)); } }), lines: out };
    })();
    const limits = (n: number): string => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${n}                 ${n}                 files\n`;
    const listeners = [
      { spec: { transport: 'tcp' as const, host: '::', port: 5514 }, maxConnections: 1024 },
      { spec: { transport: 'tls' as const, host: '::', port: 6514 }, maxConnections: 1024 },
      { spec: { transport: 'udp' as const, host: '::', port: 5514 }, maxConnections: 1024 },
    ];
    expect(checkDescriptorBudget(listeners, log, limits(65_536))).toBe(65_536);
    expect(lines).toEqual([]);
    expect(checkDescriptorBudget(listeners, log, limits(2_048))).toBe(2_048);
    expect(lines.length).toBe(1);
    expect(lines[0]!.msg).toContain('may hold 2048 connections');
    expect(lines[0]!.msg).toContain('only 2048 files');
    expect(checkDescriptorBudget(listeners, log, 'Max open files            unlimited            unlimited            files\n')).toBeNull();
  });
});
