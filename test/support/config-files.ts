import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HaetaeError } from '../../pipeline/errors/catalog';

/** Writes `text` as haetae.yaml in a fresh temporary directory. */
export function tmpConfig(text: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-config-'));
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, text);
  return { dir, file };
}

/** The HaetaeError `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): HaetaeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HaetaeError) return err;
    throw err;
  }
  throw new Error('expected a HaetaeError');
}
