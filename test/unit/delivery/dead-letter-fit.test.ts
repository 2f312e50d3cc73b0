import { fitDeadLetter } from '../../../pipeline/delivery/dead-letter-fit';
import type { DeadLetter } from '../../../schemas/generated/types';
import { compileValidators } from '../../../schemas/validators';

const base = (raw: Buffer, extra: Partial<DeadLetter> = {}): DeadLetter => ({
  v: 1, stage: 'index', code: 'HAETAE_ES_REJECTED', reason: 'document_parsing_exception', failedAt: '2026-11-22T10:00:00.000Z',
  origin: { topic: 'haetae.raw', partition: 1, offset: '42', key: '192.0.2.1' }, raw: raw.toString('base64'), ...extra,
});

describe('fitting a dead letter into one Kafka record', () => {
  it('leaves a record that fits exactly as it is', () => {
    const r = base(Buffer.from('hello'), { document: { message: 'hello' } });
    expect(fitDeadLetter(r, 10_000).toString()).toBe(JSON.stringify(r));
  });

  it('sheds the document, then the envelope, then the reason tail, then the end of raw, and says so', () => {
    const raw = Buffer.alloc(50_000, 0x61);
    const doc = { message: 'm'.repeat(40_000) };
    const withDoc = base(Buffer.from('small'), { document: doc });
    const a = JSON.parse(fitDeadLetter(withDoc, 10_000).toString()) as DeadLetter;
    expect(a.document).toBeUndefined();
    expect(a.trimmed).toEqual({ omitted: ['document'] });
    expect(Buffer.from(a.raw, 'base64').toString()).toBe('small');

    const r = base(raw, { document: doc, reason: 'r'.repeat(5_000) });
    const value = fitDeadLetter(r, 20_000);
    expect(value.length).toBeLessThanOrEqual(20_000);
    expect(value.length).toBeGreaterThan(20_000 - 4); // as much of raw as fits
    const b = JSON.parse(value.toString()) as DeadLetter;
    expect(b.trimmed).toEqual({ omitted: ['document'], reasonLength: 5_000, rawLength: 50_000 });
    expect(b.reason).toBe(`${'r'.repeat(2000)}…`);
    const kept = Buffer.from(b.raw, 'base64');
    expect(kept.equals(raw.subarray(0, kept.length))).toBe(true);
    expect(compileValidators().deadLetter(b)).toBe(true);
  });

  it('keeps the record valid however small the room', () => {
    const b = JSON.parse(fitDeadLetter(base(Buffer.alloc(5_000)), 100).toString()) as DeadLetter;
    expect(b.raw).toBe('');
    expect(b.trimmed).toEqual({ rawLength: 5_000 });
  });
});
