import path from 'node:path';
import { createDecoderSet, formatDecoderProblem, formatSampleReport, loadDecoders, runSamples } from '../../../pipeline/decoders';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('shipped decoders (decoders/)', () => {
  const loaded = loadDecoders([path.join(ROOT, 'decoders')]);

  it('load without problems', () => {
    expect(loaded.problems.map(formatDecoderProblem)).toEqual([]);
    expect(loaded.decoders.map((d) => d.id)).toContain('linux-sshd');
  });

  it('pass every inline sample', () => {
    const report = runSamples(loaded.decoders, createDecoderSet(loaded.decoders));
    if (report.failures.length > 0) throw new Error(formatSampleReport(report));
    expect(report.total).toBeGreaterThan(20);
  });
});
