import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemoteEngineStore } from '../../../../pipeline/receive/snmp/remote-engine-store';
import { RemoteEngineTimes } from '../../../../pipeline/receive/snmp/time-window';
import type { Logger } from '../../../../pipeline/telemetry/logger';

function logger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, m?: string) => { warnings.push(m ?? ''); }, info: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;
  return { log, warnings };
}

describe('RemoteEngineStore: learned SNMPv3 engine times survive a restart', () => {
  let dir: string;
  let now: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-remote-engines-'));
    now = 1_000_000;
  });

  it('restores what was learned, so a trap older than the window is refused after the restart', () => {
    const first = new RemoteEngineTimes(100, () => now);
    expect(first.check('8000000001aa', 5, 1000)).toBe('ok');
    new RemoteEngineStore(dir, first, logger().log).save();

    now += 60; // the process restarts a minute later
    const second = new RemoteEngineTimes(100, () => now);
    expect(new RemoteEngineStore(dir, second, logger().log).load()).toBe(1);
    expect(second.check('8000000001aa', 4, 99_999)).toBe('not_in_time_window'); // older boots
    expect(second.check('8000000001aa', 5, 1060 - 151)).toBe('not_in_time_window'); // > 150 s behind our notion
    expect(second.check('8000000001aa', 5, 1060 - 100)).toBe('ok');
    // A fresh table accepts what the restored one refuses: that is the replay the file prevents.
    expect(new RemoteEngineTimes(100, () => now).check('8000000001aa', 4, 99_999)).toBe('ok');
  });

  it('saves only when something changed, and again at stop', () => {
    const times = new RemoteEngineTimes(100, () => now);
    const store = new RemoteEngineStore(dir, times, logger().log);
    const file = path.join(dir, 'snmp-remote-engines.json');
    store.stop();
    expect(fs.existsSync(file)).toBe(false);
    times.check('8000000001bb', 1, 10);
    store.stop();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ v: 1, engines: [['8000000001bb', 1, 10, now, 10]] });
  });

  it('sets an unreadable file aside with a warning and starts empty; skips malformed entries', () => {
    const file = path.join(dir, 'snmp-remote-engines.json');
    fs.writeFileSync(file, '{"v":1,"engines":[[');
    const { log, warnings } = logger();
    const times = new RemoteEngineTimes(100, () => now);
    expect(new RemoteEngineStore(dir, times, log).load()).toBe(0);
    expect(warnings[0]).toMatch(/are not valid .* kept the file as .*unreadable-\d+ and starting without them/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('snmp-remote-engines.json.unreadable-'))).toBe(true);

    fs.writeFileSync(file, JSON.stringify({ v: 1, engines: [['8000000001cc', 2, 5, now, 5], ['not-hex', 1, 1, 1, 1], ['8000000001dd', -1, 0, 0, 0], ['8000000001ee', 1, 2, 3]] }));
    const second = logger();
    const restored = new RemoteEngineTimes(100, () => now);
    expect(new RemoteEngineStore(dir, restored, second.log).load()).toBe(1);
    expect(second.warnings).toEqual([expect.stringMatching(/Skipped 3 malformed entries/)]);
    expect(restored.size).toBe(1);
  });

  it('keeps at most the table size, the most recently seen engines', () => {
    const big = new RemoteEngineTimes(1000, () => now);
    for (let i = 0; i < 1000; i++) big.check(`80000000${i.toString(16).padStart(4, '0')}`, 1, i);
    new RemoteEngineStore(dir, big, logger().log).save();
    const small = new RemoteEngineTimes(10, () => now);
    expect(new RemoteEngineStore(dir, small, logger().log).load()).toBe(10);
    expect(small.size).toBe(10);
    expect(small.snapshot().map(([id]) => id)).toEqual(Array.from({ length: 10 }, (_, i) => `80000000${(990 + i).toString(16).padStart(4, '0')}`));
  });
});
