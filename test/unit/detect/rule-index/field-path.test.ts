import fc from 'fast-check';
import { fieldReader, getField } from '../../../../pipeline/detect/field';

describe('fieldReader', () => {
  it('reads nested objects and flat dotted keys like getField', () => {
    const e = { process: { name: 'sshd' }, 'log.syslog': { appname: 'a' }, log: { 'syslog.hostname': 'h' }, 'host.name': 'x' };
    for (const p of ['process.name', 'log.syslog.appname', 'log.syslog.hostname', 'host.name', 'missing.x', 'process']) {
      expect(fieldReader(p)(e)).toEqual(getField(e, p));
    }
    expect(fieldReader('a.b')(null)).toBeUndefined();
    expect(fieldReader('a.b')('str')).toBeUndefined();
  });

  it('agrees with getField on random documents and paths', () => {
    const seg = fc.constantFrom('a', 'b', 'a.b', 'b.a', 'c', '0', 'length');
    const leaf = fc.oneof(fc.string({ maxLength: 2 }), fc.integer(), fc.constant(null), fc.constant(undefined));
    const doc = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(seg, tie('node'), { maxKeys: 4 }), fc.array(tie('node'), { maxLength: 2 })),
    })).node;
    const path = fc.array(fc.constantFrom('a', 'b', 'c', '0', 'length'), { minLength: 1, maxLength: 4 }).map((p) => p.join('.'));
    fc.assert(fc.property(doc, path, (d, p) => { expect(fieldReader(p)(d)).toEqual(getField(d, p)); }), { numRuns: 2000 });
  });
});
