import fs from 'node:fs';
import { X509Certificate, randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { eventually } from '../support/services';
import { HaetaeProcess, logger, metricValue, metricsText, readyz, runCli } from '../support/haetae-process';
import { RsyslogProcess } from '../support/rsyslog-process';
import { SyslogNgProcess } from '../support/syslog-ng-process';
import { startWebhookServer } from '../support/webhook-server';
import { CLIENT_DN, makeTestPki, type CertFiles, type TestPki } from '../support/tls-certs';
import { WEBHOOK_SECRET, e2eConfig } from './config';

/** `haetae search --json`, as a user would run it. */
function search(configFile: string, query: string): any[] {
  const res = runCli(['search', query, '--since', '10m', '--json', '--limit', '100'], configFile);
  if (res.status !== 0) throw new Error(`haetae search failed (${res.status}): ${res.stderr}`);
  return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * A private rsyslogd forwarding over TLS with RFC 5425 framing (omfwd + the gtls stream driver,
 * Debian's rsyslog-gnutls), authenticating with `client` and checking the server certificate against the CA and its name (x509/name).
 */
function tlsForwarder(pki: TestPki, client: CertFiles, port: number): Promise<RsyslogProcess> {
  return RsyslogProcess.start({
    globals: `DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${pki.ca.cert}" DefaultNetstreamDriverCertFile="${client.cert}" DefaultNetstreamDriverKeyFile="${client.key}"`,
    action: `action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" action.resumeRetryCount="-1" action.resumeInterval="1")`,
  });
}

describe('rsyslog and syslog-ng → TLS (RFC 5425, mTLS) and TCP (IPv4, IPv6) → haetae → Elasticsearch, all real', () => {
  let pki: TestPki;
  let hook: Awaited<ReturnType<typeof startWebhookServer>>;
  let cfgFile: string;
  let haetae: HaetaeProcess;
  let tlsPort: number;
  let tcpPort: number;
  let tcp6Port: number;
  let httpPort: number;
  const rsyslogs: Array<RsyslogProcess | SyslogNgProcess> = [];

  beforeAll(async () => {
    pki = makeTestPki();
    hook = await startWebhookServer(WEBHOOK_SECRET);
    cfgFile = e2eConfig(hook.url).file;
    // The shared e2e config with a TLS listener (mTLS required) and plain TCP on IPv4 and IPv6.
    const config = YAML.parse(fs.readFileSync(cfgFile, 'utf8'));
    config.receiver.listeners = [
      { transport: 'tls', host: '127.0.0.1', port: 0, certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert, clientAuth: 'required' },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '::1', port: 0 },
    ];
    fs.writeFileSync(cfgFile, YAML.stringify(config));
    haetae = new HaetaeProcess(['run', 'all'], cfgFile);
    tlsPort = Number((await haetae.waitFor(/listening for syslog on tls:\/\/127\.0\.0\.1:(\d+)/))[1]);
    tcpPort = Number((await haetae.waitFor(/listening for syslog on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    tcp6Port = Number((await haetae.waitFor(/listening for syslog on tcp:\/\/::1:(\d+)/))[1]);
    httpPort = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await eventually(async () => ((await readyz(httpPort)) ? true : undefined), 'haetae /readyz', 60_000);
  }, 120_000);

  afterAll(async () => {
    for (const r of rsyslogs) await r.stop();
    await haetae?.stop();
    await hook?.close();
    pki?.remove();
  }, 60_000);

  it('says at start-up that the listener is mTLS', () => {
    expect(haetae.output.some((l) => l.includes('mTLS: a client certificate signed by caFile is required'))).toBe(true);
  });

  it('indexes what rsyslog forwards over TLS with its verified client certificate in ECS tls.* fields', async () => {
    const rsyslog = await tlsForwarder(pki, pki.client, tlsPort);
    rsyslogs.push(rsyslog);
    const token = `tls${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) logger(['-d', '-n', '127.0.0.1', '-P', String(rsyslog.inputPort), '-t', 'tlsapp', `hello over tls ${i} ${token}`]);

    const events = await eventually(async () => {
      const found = search(cfgFile, `message:${token}`);
      return found.length === 3 ? found : undefined;
    }, 'three events from rsyslog over TLS', 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nrsyslog:\n${rsyslog.tail()}\nhaetae:\n${haetae.tail()}`);
    });
    const sha256 = new X509Certificate(fs.readFileSync(pki.client.cert)).fingerprint256.replace(/:/g, '');
    for (const e of events) {
      expect(e).toMatchObject({
        network: { transport: 'tcp', protocol: 'syslog' },
        process: { name: 'tlsapp' },
        haetae: { syslog: { transport: 'tls', framing: 'octet-counting', format: 'rfc5424' } },
        tls: {
          established: true,
          client: { x509: { subject: { distinguished_name: CLIENT_DN }, issuer: { distinguished_name: 'CN=Haetae Test CA,O=Haetae Test' } }, hash: { sha256 } },
        },
      });
    }
    expect(sha256).toMatch(/^[0-9A-F]{64}$/);
    // Searchable by the certificate's subject (a keyword field).
    const bySubject = search(cfgFile, `tls.client.x509.subject.distinguished_name:"${CLIENT_DN}" AND message:${token}`);
    expect(bySubject).toHaveLength(3);
  }, 120_000);

  it('indexes what syslog-ng forwards over TLS (syslog() driver: RFC 5424, octet-counted) with its client certificate', async () => {
    const ng = await SyslogNgProcess.start({
      destination: `syslog("127.0.0.1" port(${tlsPort}) transport("tls") tls(ca-file("${pki.ca.cert}") cert-file("${pki.client.cert}") key-file("${pki.client.key}") peer-verify(required-trusted)))`,
    });
    rsyslogs.push(ng);
    const token = `ng${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 2; i++) logger(['-d', '--rfc3164', '-n', '127.0.0.1', '-P', String(ng.inputPort), '-t', 'ngapp', `hello from syslog-ng ${i} ${token}`]);
    const events = await eventually(async () => {
      const found = search(cfgFile, `message:${token}`);
      return found.length === 2 ? found : undefined;
    }, 'two events from syslog-ng over TLS', 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nsyslog-ng:\n${ng.tail()}\nhaetae:\n${haetae.tail()}`);
    });
    for (const e of events) {
      expect(e).toMatchObject({
        process: { name: 'ngapp' },
        haetae: { syslog: { transport: 'tls', framing: 'octet-counting', format: 'rfc5424' } },
        tls: { established: true, client: { x509: { subject: { distinguished_name: CLIENT_DN } } } },
      });
    }
  }, 180_000);

  it('refuses rsyslog with a client certificate the CA did not sign: nothing indexed, refusal counted', async () => {
    const rsyslog = await tlsForwarder(pki, pki.untrusted, tlsPort);
    rsyslogs.push(rsyslog);
    const token = `untrusted${randomUUID().slice(0, 8)}`;
    logger(['-d', '-n', '127.0.0.1', '-P', String(rsyslog.inputPort), '-t', 'tlsapp', `must not arrive ${token}`]);
    const refused = await eventually(async () => {
      const n = metricValue(await metricsText(httpPort), 'haetae_dropped_total', { stage: 'receive', reason: 'tls_untrusted_cert' });
      return n > 0 ? n : undefined;
    }, 'a tls_untrusted_cert refusal in /metrics', 30_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nrsyslog:\n${rsyslog.tail()}\nhaetae:\n${haetae.tail()}`);
    });
    expect(refused).toBeGreaterThan(0);
    expect(haetae.output.some((l) => l.includes('tls_untrusted_cert') && l.includes('Refused a TLS connection'))).toBe(true);
    // Long enough for a message that got through to be indexed (the trusted one above takes ~1-2 s).
    await new Promise((r) => setTimeout(r, 8_000));
    expect(search(cfgFile, `message:${token}`)).toHaveLength(0);
    await rsyslog.stop();
    rsyslogs.splice(rsyslogs.indexOf(rsyslog), 1);
  }, 90_000);
  it('indexes what rsyslog forwards over plain TCP, octet-counted (RFC 5424) and LF-framed (ISO timestamps in a BSD header) over IPv6', async () => {
    const octet = await RsyslogProcess.start({
      action: `action(type="omfwd" target="127.0.0.1" port="${tcpPort}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" action.resumeRetryCount="-1" action.resumeInterval="1")`,
    });
    rsyslogs.push(octet);
    // RSYSLOG_ForwardFormat: "<PRI>2026-12-04T10:00:00.123456+00:00 host tag: msg", LF-terminated.
    const lf = await RsyslogProcess.start({
      action: `action(type="omfwd" target="::1" port="${tcp6Port}" protocol="tcp" template="RSYSLOG_ForwardFormat" action.resumeRetryCount="-1" action.resumeInterval="1")`,
    });
    rsyslogs.push(lf);
    const token = `tcp${randomUUID().slice(0, 8)}`;
    const sentAt = Date.now();
    for (let i = 0; i < 2; i++) logger(['-d', '-n', '127.0.0.1', '-P', String(octet.inputPort), '-t', 'octapp', `octet ${i} ${token}`]);
    // BSD input, so rsyslog's tag keeps its colon (a tag it made from an RFC 5424 APP-NAME has none,
    // and a bare word is left in the message: docs/syslog-formats.md).
    for (let i = 0; i < 2; i++) logger(['-d', '--rfc3164', '-n', '127.0.0.1', '-P', String(lf.inputPort), '-t', 'lfapp', `lf ${i} ${token}`]);
    const events = await eventually(async () => {
      const found = search(cfgFile, `message:${token}`);
      return found.length === 4 ? found : undefined;
    }, 'four events from rsyslog over TCP', 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nrsyslog (octet):\n${octet.tail()}\nrsyslog (lf):\n${lf.tail()}\nhaetae:\n${haetae.tail()}`);
    });
    const octets = events.filter((e) => e.process?.name === 'octapp');
    const lfs = events.filter((e) => e.process?.name === 'lfapp');
    expect(octets).toHaveLength(2);
    expect(lfs).toHaveLength(2);
    for (const e of octets) {
      expect(e).toMatchObject({ haetae: { syslog: { transport: 'tcp', framing: 'octet-counting', format: 'rfc5424' } }, log: { source: { address: '127.0.0.1' } } });
      expect(e.tls).toBeUndefined();
    }
    for (const e of lfs) {
      // Over IPv6 from ::1; the ISO timestamp in the BSD header is read (not the receive time's guess).
      expect(e).toMatchObject({ haetae: { syslog: { transport: 'tcp', framing: 'lf', format: 'rfc3164' } }, log: { source: { address: '::1' } } });
      expect(Math.abs(Date.parse(e['@timestamp']) - sentAt)).toBeLessThan(60_000);
      expect(e.haetae.parse?.warnings ?? []).toEqual([]);
    }
  }, 120_000);

  it('indexes what syslog-ng forwards over plain TCP with its network() driver (BSD format, LF-framed) over IPv6', async () => {
    const ng = await SyslogNgProcess.start({ destination: `network("::1" port(${tcp6Port}) transport("tcp") ip-protocol(6))` });
    rsyslogs.push(ng);
    const token = `ngtcp${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 2; i++) logger(['-d', '--rfc3164', '-n', '127.0.0.1', '-P', String(ng.inputPort), '-t', 'ngtcp', `plain tcp from syslog-ng ${i} ${token}`]);
    const events = await eventually(async () => {
      const found = search(cfgFile, `message:${token}`);
      return found.length === 2 ? found : undefined;
    }, 'two events from syslog-ng over TCP', 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nsyslog-ng:\n${ng.tail()}\nhaetae:\n${haetae.tail()}`);
    });
    for (const e of events) {
      expect(e).toMatchObject({ process: { name: 'ngtcp' }, haetae: { syslog: { transport: 'tcp', framing: 'lf', format: 'rfc3164' } }, log: { source: { address: '::1' } } });
    }
  }, 180_000);
});
