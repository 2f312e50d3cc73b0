import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ForwarderProcess } from './forwarder-process';
import { freePort } from './redis-process';

/**
 * A private syslog-ng as a real TLS client for tests. Debian's syslog-ng package conflicts with
 * the rsyslog the other tests use, so it is not installed: syslog-ng-core and the libraries it
 * needs that the system lacks are fetched with `apt-get download` and unpacked with `dpkg -x`
 * into a cache directory (nothing is installed, nothing system-wide changes). A syslog-ng on PATH
 * (another distribution) is used as it is.
 */
const CACHE = path.join(os.tmpdir(), 'haetae-syslog-ng');
const EXTRA_LIBS = ['libivykis0', 'libnet1', 'libpcre3'];

interface SyslogNgInstall { binary: string; env: NodeJS.ProcessEnv; modulePath?: string }

function findOrUnpack(): SyslogNgInstall {
  const onPath = spawnSync('sh', ['-c', 'command -v syslog-ng'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return { binary: onPath.stdout.trim(), env: process.env };
  const root = path.join(CACHE, 'root');
  const binary = path.join(root, 'usr', 'sbin', 'syslog-ng');
  if (!fs.existsSync(binary)) {
    const debs = path.join(CACHE, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    const missing = EXTRA_LIBS.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
    const dl = spawnSync('apt-get', ['download', 'syslog-ng-core', ...missing], { cwd: debs, encoding: 'utf8', timeout: 120_000 });
    if (dl.status !== 0) throw new Error(`cannot fetch syslog-ng-core with apt-get download (${dl.status}): ${dl.stderr}`);
    for (const f of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      const x = spawnSync('dpkg', ['-x', path.join(debs, f), root], { encoding: 'utf8' });
      if (x.status !== 0) throw new Error(`dpkg -x ${f} failed: ${x.stderr}`);
    }
  }
  const versions = fs.readdirSync(path.join(root, 'usr', 'lib', 'syslog-ng')).filter((d) => /^\d+\.\d+$/.test(d));
  const libs = [path.join(root, 'usr', 'lib', 'x86_64-linux-gnu'), path.join(root, 'lib', 'x86_64-linux-gnu'), path.join(root, 'usr', 'lib', 'syslog-ng')];
  return {
    binary,
    env: { ...process.env, LD_LIBRARY_PATH: [...libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    modulePath: path.join(root, 'usr', 'lib', 'syslog-ng', versions[0] ?? ''),
  };
}

/**
 * syslog-ng in the foreground with its own config, persist file, pid file and control socket.
 * It takes RFC 3164 messages on a local UDP port (`inputPort`; send them with
 * `logger -d --rfc3164 -n 127.0.0.1 -P <port>`) and sends them to `destination`, a syslog-ng
 * destination body such as `syslog("127.0.0.1" port(6514) transport("tls") tls(...))`.
 */
export class SyslogNgProcess extends ForwarderProcess {

  static async start(opts: { destination: string }): Promise<SyslogNgProcess> {
    const install = findOrUnpack();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-syslog-ng-run-'));
    const inputPort = await freePort();
    const version = spawnSync(install.binary, ['--version'], { env: install.env, encoding: 'utf8' }).stdout.match(/Config version: (\d+\.\d+)/)?.[1] ?? '3.38';
    const conf = [
      `@version: ${version}`,
      'options { keep-hostname(yes); stats_freq(0); };',
      `source s_in { network(transport("udp") ip("127.0.0.1") port(${inputPort})); };`,
      `destination d_out { ${opts.destination}; };`,
      'log { source(s_in); destination(d_out); };',
      '',
    ].join('\n');
    const file = path.join(dir, 'syslog-ng.conf');
    fs.writeFileSync(file, conf);
    const args = ['-F', '-f', file, `--persist-file=${path.join(dir, 'persist')}`, `--pidfile=${path.join(dir, 'pid')}`, `--control=${path.join(dir, 'ctl')}`, ...(install.modulePath ? [`--module-path=${install.modulePath}`] : [])];
    const check = spawnSync(install.binary, [...args, '--syntax-only'], { env: install.env, encoding: 'utf8', timeout: 20_000 });
    if (check.status !== 0) throw new Error(`syslog-ng rejects the test config (${check.status}):\n${check.stdout}${check.stderr}\n--- ${file}:\n${conf}`);
    return SyslogNgProcess.launch('syslog-ng', install.binary, args, install.env, dir, inputPort);
  }
}
