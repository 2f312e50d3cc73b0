import { ReplayWindow } from '../../../pipeline/roles/worker/replay-window';

describe('replay window', () => {
  it('looks up chunks after an assignment until one holds nothing already stored', () => {
    const w = new ReplayWindow();
    expect(w.mayBeReplay('raw', 0)).toBe(true);
    w.indexed('raw', 0, 5); // the previous owner had indexed 5 of these
    expect(w.mayBeReplay('raw', 0)).toBe(true);
    w.indexed('raw', 0, 0);
    expect(w.mayBeReplay('raw', 0)).toBe(false);
    expect(w.mayBeReplay('raw', 1)).toBe(true); // partitions are independent
    w.reassigned();
    expect(w.mayBeReplay('raw', 0)).toBe(true);
  });
});
