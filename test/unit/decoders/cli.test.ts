import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../../cli/haetae';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Runs `haetae <args>` in-process from the repository root; returns stdout, stderr and exit code. */
async function haetae(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  const cwd = process.cwd();
  process.chdir(ROOT);
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    process.chdir(cwd);
    so.mockRestore();
    se.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe('haetae decoders', () => {
  it('test: runs the samples of the shipped sshd decoder and reports per decoder', async () => {
    const r = await haetae(['decoders', 'test', 'decoders/linux/sshd.yml']);
    expect(r.out).toMatch(/^✓ linux-sshd: (\d+)\/\1 samples passed$/m);
    expect(r.code).toBe(0);
  });

  it('test --message: decodes one line', async () => {
    const r = await haetae(['decoders', 'test', 'decoders/linux/sshd.yml', '--json', '-m', 'Invalid user admin from 203.0.113.9 port 40110', '--program', 'sshd']);
    expect(JSON.parse(r.out)).toMatchObject({ decoder: 'linux-sshd', ok: true, fields: { 'event.action': 'ssh_invalid_user', 'source.port': 40110, 'event.dataset': 'linux.sshd' } });
  });

  it('validate and test: file:line:col problems and failing samples exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-dec-cli-'));
    const file = path.join(dir, 'bad.yml');
    fs.writeFileSync(file, "id: a\ndataset: t.a\nselect: { programs: [p] }\nmatch: '(?P<n>\\d+)'\nmap: { source.port: n }\nsamples:\n  - { input: '7', program: p, expect: { source.port: 8 } }\n---\nid: b\ndataset: t.b\nselect: {}\nmatch: '(x)\\1'\n");
    const v = await haetae(['decoders', 'validate', file]);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`${file}:12:1: not a valid RE2 pattern`);
    expect(v.out).toMatch(/1 problem; 1 decoder valid in 1 file\.$/m);
    const t = await haetae(['decoders', 'test', file]);
    expect(t.code).toBe(1);
    expect(t.out).toContain('✗ a: 0/1 samples passed');
    expect(t.out).toContain(`${file}:7: source.port: expected 8, got 7`);
  });

  it('list: id, file, select keys, dataset, samples', async () => {
    const r = await haetae(['decoders', 'list', 'decoders/linux/sshd.yml']);
    expect(r.out).toMatch(/^ID\s+FILE\s+PRIORITY\s+SELECT\s+DATASET\s+SAMPLES$/m);
    expect(r.out).toMatch(/^linux-sshd\s+decoders\/linux\/sshd\.yml:\d+\s+\d+\s+programs=sshd\S*( \S+)*\s+linux\.sshd\s+\d+$/m);
  });
});
