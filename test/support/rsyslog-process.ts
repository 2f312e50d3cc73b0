import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ForwarderProcess } from './forwarder-process';
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
export class RsyslogProcess extends ForwarderProcess {

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
    return RsyslogProcess.launch('rsyslogd', 'rsyslogd', ['-n', '-f', file, '-i', path.join(dir, 'rsyslogd.pid')], process.env, dir, inputPort);
  }
}
