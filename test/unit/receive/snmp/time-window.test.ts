import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemoteEngineTimes, authoritativeCheck } from '../../../../pipeline/receive/snmp/time-window';
import { loadEngineState } from '../../../../pipeline/receive/snmp/engine-state';

describe('USM time window (RFC 3414 §3.2 step 7)', () => {
  it('traps (we are not authoritative): learns each engine, refuses older boots or > 150 s behind', () => {
    let now = 1000;
    const t = new RemoteEngineTimes(2, () => now);
    expect(t.check('e1', 5, 1000)).toBe('ok'); // first sight: learned
    expect(t.check('e1', 4, 9999)).toBe('not_in_time_window');
    expect(t.check('e1', 5, 849)).toBe('not_in_time_window');
    expect(t.check('e1', 5, 851)).toBe('ok');
    now += 100; // our notion of e1's time is now 1100
    expect(t.check('e1', 5, 949)).toBe('not_in_time_window');
    expect(t.check('e1', 5, 5000)).toBe('ok'); // ahead: accepted, notion moves forward
    expect(t.check('e1', 5, 4800)).toBe('not_in_time_window');
    expect(t.check('e1', 6, 1)).toBe('ok'); // reboot
    expect(t.check('e1', 5, 5000)).toBe('not_in_time_window');
    expect(t.check('e1', 2147483647, 1)).toBe('ok');
    expect(t.check('e1', 2147483647, 2)).toBe('not_in_time_window'); // boots latched at the maximum
    // Bounded: the least recently seen engine is forgotten first.
    t.check('e2', 1, 1);
    t.check('e3', 1, 1);
    expect(t.size).toBe(2);
    expect(t.check('e1', 0, 0)).toBe('ok');
  });

  it('informs (we are authoritative): same boots, time within 150 s either way', () => {
    expect(authoritativeCheck({ boots: 3, time: 500 }, 3, 650)).toBe('ok');
    expect(authoritativeCheck({ boots: 3, time: 500 }, 3, 651)).toBe('not_in_time_window');
    expect(authoritativeCheck({ boots: 3, time: 500 }, 3, 349)).toBe('not_in_time_window');
    expect(authoritativeCheck({ boots: 3, time: 500 }, 2, 500)).toBe('not_in_time_window');
  });

  it('engine state: generated id persisted, boots grow at each start, a configured id restarts them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-snmp-'));
    const a = loadEngineState(dir, undefined);
    const b = loadEngineState(dir, undefined);
    expect(b.engineId.equals(a.engineId)).toBe(true);
    expect([a.boots, b.boots]).toEqual([1, 2]);
    expect(a.engineId.subarray(0, 5).toString('hex')).toBe('80001f8805');
    const c = loadEngineState(dir, '0x8000000001020304');
    expect([c.engineId.toString('hex'), c.boots]).toEqual(['8000000001020304', 1]);
    expect(loadEngineState(dir, '8000000001020304').boots).toBe(2);
    expect(fs.statSync(path.join(dir, 'snmp-engine.json')).mode & 0o777).toBe(0o600);
  });
});
