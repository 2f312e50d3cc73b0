import { ChannelLimiter } from '../../../pipeline/notify/limits';

describe('per-channel delivery limits', () => {
  it('runs at most maxConcurrent deliveries at once, the rest in arrival order', async () => {
    const l = new ChannelLimiter(2, undefined);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const release: Array<() => void> = [];
    const runs = [0, 1, 2, 3, 4].map((i) => l.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => release.push(r));
      order.push(i);
      active--;
    }));
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    await Promise.all(runs);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('spaces deliveries to maxPerMinute after a burst of a tenth of it (clock injected)', async () => {
    let now = 0;
    const slept: number[] = [];
    const l = new ChannelLimiter(10, 60, () => now, async (ms) => { slept.push(ms); now += ms; });
    const at: number[] = [];
    for (let i = 0; i < 9; i++) await l.run(async () => { at.push(now); });
    // 60/min bursts 6, then one per second.
    expect(at).toEqual([0, 0, 0, 0, 0, 0, 1000, 2000, 3000]);
    expect(slept.every((ms) => ms === 1000)).toBe(true);
  });
});
