import { Readable } from 'node:stream';
import { buildProgram } from '../../../cli/haetae';
import { KeyRing, hashKey, verifyKey } from '../../../pipeline/api/keys';

/** `haetae api hash-key` and the key checks the API makes with its output. */
async function hashKeyCli(input: string, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const stdin = Readable.from([input]) as Readable & { isTTY?: boolean };
  const saved = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  Object.defineProperty(process, 'stdin', { value: stdin, configurable: true });
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out.push(String(c)); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { err.push(String(c)); return true; });
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'haetae', 'api', 'hash-key', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    Object.defineProperty(process, 'stdin', saved);
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

describe('haetae api hash-key', () => {
  it('prints one scrypt$<salt>$<hash> line for the key on stdin, which verifies that key and no other', async () => {
    const key = 'k3y-from-stdin-0123456789abcdef';
    const { stdout } = await hashKeyCli(`${key}\n`);
    expect(stdout).toMatch(/^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
    const line = stdout.trim();
    expect(line).not.toContain(key);
    expect(await verifyKey(key, line)).toBe(true);
    expect(await verifyKey(`${key}x`, line)).toBe(false);
    expect(await verifyKey(key, 'scrypt$AAAA$')).toBe(false);
  });

  it('refuses a short key, and --generate prints a new key on stderr with its hash on stdout', async () => {
    await expect(hashKeyCli('short\n')).rejects.toThrow(/at least 16 characters/);
    const { stdout, stderr } = await hashKeyCli('', ['--generate']);
    const key = /^key: (\S+)$/m.exec(stderr)![1]!;
    expect(await verifyKey(key, stdout.trim())).toBe(true);
  });
});

describe('KeyRing', () => {
  it('names the key and its role, remembers a verified key, and answers null for a wrong one', async () => {
    const ring = new KeyRing([
      { name: 'vera', role: 'viewer', hash: await hashKey('viewer-key-0123456789') },
      { name: 'ana', role: 'analyst', hash: await hashKey('analyst-key-0123456789') },
    ]);
    expect(await ring.identify('analyst-key-0123456789')).toEqual({ name: 'ana', role: 'analyst' });
    const t = process.hrtime.bigint();
    expect(await ring.identify('analyst-key-0123456789')).toEqual({ name: 'ana', role: 'analyst' });
    expect(Number(process.hrtime.bigint() - t) / 1e6).toBeLessThan(30); // cached: no scrypt (one takes ~50–100 ms)
    expect(await ring.identify('viewer-key-0123456789')).toEqual({ name: 'vera', role: 'viewer' });
    expect(await ring.identify('nobody-key-0123456789')).toBeNull();
    expect(await ring.identify('')).toBeNull();
    expect(await new KeyRing([]).identify('viewer-key-0123456789')).toBeNull();
  });
});
