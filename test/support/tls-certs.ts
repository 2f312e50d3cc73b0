import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A PKI for TLS tests, made by the openssl CLI in a temp dir (EC P-256 keys: fast to make, and
 * GnuTLS — rsyslog's TLS driver — takes them):
 * - `ca`: the trusted CA; `server`: 127.0.0.1/localhost (SAN) signed by it;
 * - `client`: a client certificate signed by `ca` (CN=edge1.example.net,O=Haetae Test,C=DE);
 * - `untrusted`: a client certificate signed by another CA (`otherCa`);
 * - `expired`: a client certificate signed by `ca` whose validity ended a day before now;
 * - `server2`: a server certificate for 127.0.0.1/localhost signed by `otherCa` (for reload tests).
 * Validity dates are relative to now: nothing here goes stale.
 */
export interface TestPki {
  dir: string;
  ca: CertFiles;
  otherCa: CertFiles;
  server: CertFiles;
  server2: CertFiles;
  client: CertFiles;
  untrusted: CertFiles;
  expired: CertFiles;
  remove(): void;
}

export interface CertFiles {
  cert: string;
  key: string;
}

const CLIENT_SUBJECT = '/C=DE/O=Haetae Test/CN=edge1.example.net';
/** The client certificate's subject as the receiver records it (RFC 4514 order). */
export const CLIENT_DN = 'CN=edge1.example.net,O=Haetae Test,C=DE';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** OpenSSL's GeneralizedTime form (YYYYMMDDHHMMSSZ) of a date. */
function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function newKeyAndCsr(dir: string, name: string, subject: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
}

function makeCa(dir: string, name: string, subject: string): CertFiles {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

function sign(dir: string, name: string, subject: string, ca: string, ext: string): CertFiles {
  newKeyAndCsr(dir, name, subject);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

/** `openssl x509 -req` cannot back-date; `openssl ca` takes explicit start and end dates. */
function signExpired(dir: string, name: string, subject: string, ca: string): CertFiles {
  newKeyAndCsr(dir, name, subject);
  fs.mkdirSync(path.join(dir, 'issued'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ ca ]', 'default_ca = test_ca',
    '[ test_ca ]', `database = ${path.join(dir, 'index.txt')}`, `new_certs_dir = ${path.join(dir, 'issued')}`, `serial = ${path.join(dir, 'serial')}`,
    'default_md = sha256', 'policy = any', 'preserve = yes', 'unique_subject = no',
    '[ any ]', 'countryName = optional', 'organizationName = optional', 'commonName = supplied',
    '[ client_ext ]', 'basicConstraints = CA:FALSE', 'extendedKeyUsage = clientAuth', '',
  ].join('\n'));
  const day = 24 * 3600 * 1000;
  const now = Date.now();
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`, '-notext',
    '-startdate', asn1Time(new Date(now - 10 * day)), '-enddate', asn1Time(new Date(now - day)), '-extensions', 'client_ext'], dir);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-pki-'));
  const serverExt = 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
  const clientExt = 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n';
  const ca = makeCa(dir, 'ca', '/O=Haetae Test/CN=Haetae Test CA');
  const otherCa = makeCa(dir, 'other-ca', '/O=Somebody Else/CN=Other CA');
  return {
    dir,
    ca,
    otherCa,
    server: sign(dir, 'server', '/O=Haetae Test/CN=localhost', 'ca', serverExt),
    server2: sign(dir, 'server2', '/O=Somebody Else/CN=localhost', 'other-ca', serverExt),
    client: sign(dir, 'client', CLIENT_SUBJECT, 'ca', clientExt),
    untrusted: sign(dir, 'untrusted', '/C=DE/O=Mallory/CN=edge1.example.net', 'other-ca', clientExt),
    expired: signExpired(dir, 'expired', '/C=DE/O=Haetae Test/CN=old.example.net', 'ca'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
