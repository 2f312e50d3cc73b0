import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Helpers for tests that run the built CLI (npm test and npm run test:unit build it first), as an author would. */
export const ROOT = path.join(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');

export function haetae(args: string[], input?: string, cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Writes `text` to a fresh temporary directory as `name` and returns its path. */
export function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-cli-'));
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}
