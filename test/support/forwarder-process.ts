import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * A real syslog daemon (rsyslogd, syslog-ng) run by a test as a forwarding client: in the
 * foreground with its own directory, taking messages on a local UDP port (`inputPort`) and
 * sending them on with the destination the test configured. Subclasses write the config.
 */
export class ForwarderProcess {
  readonly output: string[] = [];
  constructor(readonly child: ChildProcess, readonly dir: string, readonly inputPort: number, readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>) {}

  /**
   * Starts `binary` and resolves once its UDP input on `inputPort` is bound (neither daemon has
   * a readiness signal in the foreground); an early exit or 15 s without the port is an error with
   * the daemon's output.
   */
  protected static async launch<T extends ForwarderProcess>(
    this: new (child: ChildProcess, dir: string, inputPort: number, exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>) => T,
    name: string, binary: string, args: string[], env: NodeJS.ProcessEnv, dir: string, inputPort: number,
  ): Promise<T> {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const p = new this(child, dir, inputPort, exited);
    const collect = (b: Buffer): void => { p.output.push(...b.toString('utf8').split('\n').filter(Boolean)); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + 15_000;
    while (!fs.readFileSync('/proc/net/udp', 'utf8').includes(`:${inputPort.toString(16).toUpperCase().padStart(4, '0')} `)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited at start:\n${p.output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${name} did not bind its input within 15 s:\n${p.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return p;
  }

  /** Stops the daemon (SIGTERM: it flushes its queues as far as its destination allows) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  tail(n = 40): string {
    return this.output.slice(-n).join('\n');
  }
}
