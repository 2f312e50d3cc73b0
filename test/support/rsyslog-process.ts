import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis-process';

/**
 * A private rsyslogd (Debian's rsyslog, with rsyslog-gnutls and rsyslog-relp for TLS and RELP) as
 * a real syslog client for tests: its own config, work directory and pid file, in the foreground,
 * never touching the system's /dev/log or /etc/rsyslog.conf. It takes messages on a local UDP
 * port (`inputPort`; send them with `logger -d -n 127.0.0.1 -P <port>`) and forwards them with
 * the action the test writes (omfwd over TCP or TLS, omrelp, ...).
 *
 * `action` is the rsyslog RainerScript that forwards, e.g.
 *   action(type="omfwd" target="127.0.0.1" port="6514" protocol="tcp" StreamDriver="gtls" ...)
 * It runs for every message the UDP input gets. `globals` is added to the global() statement
 * (TLS file paths: DefaultNetstreamDriverCAFile etc.).
 */
export class RsyslogProcess {
  readonly output: string[] = [];
  private constructor(readonly child: ChildProcess, readonly dir: string, readonly inputPort: number, readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>) {}

  static async start(opts: { action: string; globals?: string; modules?: string[] }): Promise<RsyslogProcess> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-rsyslog-'));
    const inputPort = await freePort();
    const conf = [
      `global(workDirectory="${dir}" ${opts.globals ?? ''})`,
      'module(load="imudp")',
      ...(opts.modules ?? []).map((m) => `module(load="${m}")`),
      `input(type="imudp" address="127.0.0.1" port="${inputPort}" ruleset="forward")`,
      'ruleset(name="forward") {',
      opts.action,
      '}',
      '',
    ].join('\n');
    const file = path.join(dir, 'rsyslog.conf');
    fs.writeFileSync(file, conf);
    // Check the config first: a typo is a clear failure here, not a silent rsyslogd.
    const check = spawnSync('rsyslogd', ['-N1', '-f', file], { encoding: 'utf8', timeout: 20_000 });
    if (check.status !== 0) throw new Error(`rsyslogd rejects the test config (${check.status}):\n${check.stdout}${check.stderr}\n--- ${file}:\n${conf}`);
    const child = spawn('rsyslogd', ['-n', '-f', file, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const r = new RsyslogProcess(child, dir, inputPort, exited);
    const collect = (b: Buffer): void => { r.output.push(...b.toString('utf8').split('\n').filter(Boolean)); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    // Ready when the UDP input is bound (rsyslogd has no readiness signal in the foreground).
    const deadline = Date.now() + 15_000;
    while (!fs.readFileSync('/proc/net/udp', 'utf8').includes(`:${inputPort.toString(16).toUpperCase().padStart(4, '0')} `)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`rsyslogd exited at start:\n${r.output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`rsyslogd did not bind its input within 15 s:\n${r.output.join('\n')}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    return r;
  }

  /** Stops rsyslogd (SIGTERM: it flushes its queues as far as its action allows) and removes its directory. */
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
