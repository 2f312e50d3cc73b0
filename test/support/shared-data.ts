import fs from 'node:fs';
import path from 'node:path';

/**
 * The team's shared real-world samples live in ../shared/data, beside the project root (also in
 * CI, which clones the project next to shared/). Tests that need them fail — never skip — when
 * the folder is missing, naming where they looked.
 */
export function sharedData(...parts: string[]): string {
  const root = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
  const p = path.join(root, ...parts);
  if (!fs.existsSync(p)) throw new Error(`shared test data not found at ${p} (expected ../shared/data beside the project)`);
  return p;
}
