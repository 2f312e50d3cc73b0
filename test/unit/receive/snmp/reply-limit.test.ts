import { ReplyLimiter } from '../../../../pipeline/receive/snmp/reply-limit';

/**
 * Discovery replies and Reports go to whatever address a packet claims: a flood spoofing one
 * victim's address gets a bounded number of answers, other sources are unaffected, and the table
 * of sources stays bounded however many addresses an attacker invents.
 */
describe('SNMP unsolicited-reply limiter', () => {
  it('answers a burst per source, then only at the refill rate', () => {
    let t = 1_000_000;
    const limit = new ReplyLimiter({ burst: 5, perSecond: 2, now: () => t });
    const victim = '198.51.100.7';
    const answered = Array.from({ length: 100 }, () => limit.allow(victim)).filter(Boolean).length;
    expect(answered).toBe(5);
    // Another source has its own budget.
    expect(limit.allow('203.0.113.1')).toBe(true);
    // Half a second refills one token (2/s), a full minute no more than the burst.
    t += 500;
    expect(limit.allow(victim)).toBe(true);
    expect(limit.allow(victim)).toBe(false);
    t += 60_000;
    expect(Array.from({ length: 100 }, () => limit.allow(victim)).filter(Boolean).length).toBe(5);
  });

  it('keeps at most maxSources sources, forgetting the least recently seen', () => {
    const t = 0;
    const limit = new ReplyLimiter({ burst: 1, perSecond: 1, maxSources: 1000, now: () => t });
    for (let i = 0; i < 1_000_000; i++) limit.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limit.size).toBe(1000);
    // A source seen recently keeps its (spent) budget; one pushed out starts afresh.
    expect(limit.allow('10.15.66.63')).toBe(false); // i = 999,999: among the last 1000 seen
    expect(limit.allow('10.0.0.1')).toBe(true); // forgotten long ago
  });
});
