import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A private redis-server child process for fault tests that must kill Redis without touching the
 * shared one: its own port and directory, persisted the way a careful production Redis is
 * (append-only file, fsync on every write), so a kill and a restart on the same directory behave
 * like a real crash and recovery. Everything acknowledged before the kill is there afterwards.
 */
export class RedisProcess {
  private child: ChildProcess | null = null;
  private log: string[] = [];

  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-redis-')));
    await r.restart();
    return r;
  }

  /** Starts redis-server (again) on the same port and directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is still running');
    this.log = [];
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
      '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'notice',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (b: Buffer): void => { this.log.push(...b.toString('utf8').split('\n').filter(Boolean)); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('exit', () => { if (this.child === child) this.child = null; });
    const deadline = Date.now() + 15_000;
    while (!this.log.some((l) => l.includes('Ready to accept connections'))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start:\n${this.log.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start within 15 s:\n${this.log.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Kills redis-server (SIGKILL: no shutdown save, as a crash or an OOM kill) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  /** Stops it for good and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  output(): string {
    return this.log.join('\n');
  }
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
