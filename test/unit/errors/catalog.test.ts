import fs from 'node:fs';
import path from 'node:path';
import { ERRORS, HaetaeError, format } from '../../../pipeline/errors/catalog';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `(HAETAE_[A-Z0-9_]+)` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]));

describe('the error catalog', () => {
  it('documents every code, with its kind, in docs/errors.md', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect([code, documented.get(code)]).toEqual([code, entry.kind]);
    }
  });

  it('documents no code the catalog does not have', () => {
    expect([...documented.keys()].filter((c) => !(c in ERRORS))).toEqual([]);
  });

  it('fills templates in order and carries code and kind', () => {
    const err = new HaetaeError('HAETAE_CONFIG_INVALID', ['haetae.yaml', '/kafka: unknown key']);
    expect(err.message).toBe('config haetae.yaml: /kafka: unknown key');
    expect(err.toJSON()).toEqual({ code: 'HAETAE_CONFIG_INVALID', kind: 'config', message: 'config haetae.yaml: /kafka: unknown key' });
    expect(format('%s and %s', ['a'])).toBe('a and ');
  });
});
