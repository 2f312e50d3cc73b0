import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { normalizeAddress } from '../../envelope/envelope';
import { HaetaeError, messageOf } from '../../errors/catalog';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { pollFiles } from '../file-poll';
import { bindStream, ConnectionSlots, refuseConnection, syslogStreamSession, type BoundListener, type FrameSink, type ListenerEvents, type ListenerLimits, type ListenerSpec, type PeerInfo } from './listeners';

/** Why a TLS connection was refused: the `reason` label of haetae_dropped_total{stage="receive"}. */
export type TlsRefusal =
  /** The peer spoke plain syslog (or HTTP) to the TLS port. */
  | 'tls_plaintext'
  /** The handshake failed: no common protocol version or cipher, garbage, a client alert. */
  | 'tls_handshake'
  /** The peer did not finish its handshake within the handshake timeout. */
  | 'tls_handshake_timeout'
  /** clientAuth required and the peer presented no certificate. */
  | 'tls_no_client_cert'
  /** clientAuth required and the certificate does not chain to caFile (or is otherwise invalid). */
  | 'tls_untrusted_cert'
  /** clientAuth required and the certificate is expired or not yet valid. */
  | 'tls_expired_cert';

/** ListenerEvents plus what only the TLS listener reports (listeners.ts stays transport-neutral). */
export interface TlsListenerEvents extends ListenerEvents {
  /** A connection was closed before any syslog was read from it; `source` is the peer address. */
  onTlsRefused?(spec: ListenerSpec, source: string, reason: TlsRefusal, detail: string): void;
  /** certFile/keyFile/caFile changed and the new files are in use for new connections. */
  onTlsReloaded?(spec: ListenerSpec, certificate: ServerCertificateInfo): void;
  /** certFile/keyFile/caFile changed but could not be used: the previous ones stay in use. */
  onTlsReloadFailed?(spec: ListenerSpec, err: Error): void;
}

/** Extra limits of the TLS listener (defaults below when the config does not give them). */
export interface TlsListenerLimits extends ListenerLimits {
  /** A peer that has not finished its TLS handshake by then is disconnected (default 10 s). */
  tlsHandshakeTimeoutMs?: number;
  /** How often certFile/keyFile/caFile are checked for changes (default 2 s). */
  tlsReloadPollMs?: number;
}

export interface ServerCertificateInfo {
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
}

/**
 * Node's own default is 120 s: far too long for a slot held by a peer that connected and never
 * spoke TLS (a port scanner, a plaintext client that waits for a banner, a slow-drip attacker).
 */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_TLS_RELOAD_POLL_MS = 2_000;
/** The envelope schema's limit for subject and issuer. */
const MAX_DN_CHARS = 1024;
/** After a change is seen, wait this long for the other file(s) of a cert+key pair to be written. */
const RELOAD_SETTLE_MS = 300;

/**
 * Syslog over TLS (RFC 5425): TLS 1.2 or 1.3, then RFC 6587 framing (octet counting, which is what
 * RFC 5425 prescribes; LF framing is accepted too, as rsyslog and syslog-ng can send it).
 *
 * clientAuth: none — no client certificate asked for; optional — one is asked for and, when it
 * verifies against caFile, recorded on the envelope (an unverified one is accepted but not
 * recorded: a subject nobody vouched for must not look authenticated); required — a connection
 * without a certificate that verifies is refused and counted by reason.
 *
 * certFile, keyFile and caFile are polled for changes; new files are used for new connections
 * (server.setSecureContext) while open connections keep the context they were made with. A change
 * that cannot be used (unreadable, not PEM, key not matching) keeps the previous files in use.
 */
export async function bindTls(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents): Promise<BoundListener> {
  const ev = events as TlsListenerEvents;
  const lim = limits as TlsListenerLimits;
  const clientAuth = spec.clientAuth ?? 'none';
  const where = `receiver.listeners (tls ${spec.host}:${spec.port})`;
  if (!spec.certFile || !spec.keyFile) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, 'a tls listener needs certFile and keyFile (PEM files: the server certificate chain and its private key)']);
  }
  if (clientAuth !== 'none' && !spec.caFile) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `clientAuth ${clientAuth} needs caFile (PEM: the CA certificates client certificates must chain to)`]);
  }
  const files = { certFile: spec.certFile, keyFile: spec.keyFile, ...(spec.caFile ? { caFile: spec.caFile } : {}) };
  // Start-up: a bad file is a configuration error that stops the receiver, naming the file.
  const initial = loadContextOptions(files, where);

  const requestCert = clientAuth !== 'none';
  /** Connections in any state (in the handshake or open), for the limits checked before any TLS work. */
  const slots = new ConnectionSlots(limits);
  let server!: tls.Server;

  // onTlsRefused (tlsRefusalEvents) counts and logs; without it, the generic per-source limit
  // report of listeners that have one (onLimited) takes the refusal.
  const limited = (events as { onLimited?: (spec: ListenerSpec, source: string, reason: string, action: 'closed', detail?: string) => void }).onLimited;
  const refuse = (address: string, reason: TlsRefusal, detail: string): void => {
    // As everywhere else: a dual-stack listener's ::ffff:10.1.2.3 is reported as 10.1.2.3.
    const source = normalizeAddress(address);
    if (ev.onTlsRefused) ev.onTlsRefused(spec, source, reason, detail);
    else limited?.(spec, source, reason, 'closed', detail);
  };

  const bound = await bindStream(spec, sink, limits, events, {
    server: (onSocket) => {
      server = tls.createServer({
        ...initial.options,
        // RFC 5425 requires TLS 1.2 at least; older versions are refused in the handshake.
        minVersion: 'TLSv1.2',
        requestCert,
        // Verification is enforced below, after the handshake, as Node itself does for
        // rejectUnauthorized (it destroys the socket on a verify error): doing it ourselves
        // tells an expired certificate from an untrusted one, and a missing one from both.
        rejectUnauthorized: false,
        handshakeTimeout: lim.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
      });
      // Connection limits are checked on the raw TCP connection, before the handshake (the
      // costly part: asymmetric crypto) and counting connections still in it, so peers that
      // never finish one cannot take more slots than maxConnections either.
      server.on('connection', (raw: net.Socket) => {
        const source = raw.remoteAddress ?? '';
        const over = slots.take(source, raw);
        if (over) {
          refuseConnection(raw);
          events.onConnectionRefused?.(spec, source, over);
        }
      });
      server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
        const parent = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
        // The raw socket's address was read (and cached) on 'connection': the TLS socket may be closed by now.
        const source = parent?.remoteAddress ?? socket.remoteAddress ?? 'unknown';
        const reason = handshakeRefusal(err);
        socket.destroy();
        // A peer that hung up before saying anything (a TCP health check, a port scan) is not a
        // refusal: nothing was offered, nothing dropped.
        if (reason) refuse(source, reason, oneLine(err.message));
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        const source = socket.remoteAddress ?? '';
        if (clientAuth === 'required' && !socket.authorized) {
          const cert = socket.getPeerX509Certificate();
          const hasCert = cert !== undefined;
          const code = String(socket.authorizationError ?? 'UNSPECIFIED');
          const reason: TlsRefusal = !hasCert ? 'tls_no_client_cert' : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID' ? 'tls_expired_cert' : 'tls_untrusted_cert';
          refuseConnection(socket);
          refuse(source, reason, cert ? `${code}: ${describeCert(cert)}` : 'no client certificate presented');
          return;
        }
        onSocket(socket);
      });
      return server;
    },
    session: syslogStreamSession(limits),
    peer: (socket) => ({ transport: 'tls', ...peerCertificate(socket as tls.TLSSocket, clientAuth) }),
  });

  // Changes settle for a moment, so a certificate and its key written one after the other load together.
  const reload = pollFiles([files.certFile, files.keyFile, ...(files.caFile ? [files.caFile] : [])], lim.tlsReloadPollMs ?? DEFAULT_TLS_RELOAD_POLL_MS, () => {
    let loaded: LoadedContext;
    try {
      loaded = loadContextOptions(files, where);
      server.setSecureContext({ ...loaded.options, minVersion: 'TLSv1.2' });
    } catch (err) {
      ev.onTlsReloadFailed?.(spec, err instanceof Error ? err : new Error(messageOf(err)));
      return;
    }
    // New ticket keys: a session resumed from a ticket issued under the old files would skip the
    // new caFile's verification of the client certificate.
    server.setTicketKeys(randomBytes(48));
    ev.onTlsReloaded?.(spec, loaded.certificate);
  }, RELOAD_SETTLE_MS);

  return {
    ...bound,
    close: async () => {
      reload.stop();
      await bound.close();
    },
  };
}

/** Handshake failure → refusal reason; null when the peer only disconnected. */
export function handshakeRefusal(err: Error & { code?: string }): TlsRefusal | null {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'tls_handshake_timeout';
  // OpenSSL reads the first bytes as a TLS record header: "<13>..." or "123 <13>..." has no valid
  // version there; "GET /" is recognised as HTTP.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_HTTPS_PROXY_REQUEST') return 'tls_plaintext';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket disconnected|socket hang up/i.test(err.message)) return null;
  return 'tls_handshake';
}

/** What goes on PeerInfo.tls: the client certificate, when it verified against caFile. */
function peerCertificate(socket: tls.TLSSocket, clientAuth: 'none' | 'optional' | 'required'): Pick<PeerInfo, 'tls'> {
  if (clientAuth === 'none' || !socket.authorized) return {};
  const cert = socket.getPeerX509Certificate();
  if (!cert) return {};
  return { tls: { subject: clip(distinguishedName(cert.subject)), issuer: clip(distinguishedName(cert.issuer)), fingerprint256: cert.fingerprint256 } };
}

/**
 * Node prints a name one attribute per line, most significant first ("C=DE\nO=Acme\nCN=edge1"),
 * with RFC 2253 escaping of the values; RFC 4514 writes them the other way round, comma-separated:
 * "CN=edge1,O=Acme,C=DE".
 */
export function distinguishedName(nodeName: string): string {
  return nodeName.split('\n').filter(Boolean).reverse().join(',');
}

/** OpenSSL messages carry a trailing newline and source locations; keep the reason text. */
function oneLine(message: string): string {
  const m = /:SSL routines:[^:]*:([^:]+):/.exec(message);
  return (m ? m[1]! : message).trim();
}

function clip(s: string): string {
  return s.length > MAX_DN_CHARS ? s.slice(0, MAX_DN_CHARS) : s;
}

function describeCert(cert: X509Certificate): string {
  return `subject ${distinguishedName(cert.subject)}, issuer ${distinguishedName(cert.issuer)}, valid ${cert.validFrom} to ${cert.validTo}`;
}

interface LoadedContext {
  options: { cert: Buffer; key: Buffer; ca?: Buffer };
  certificate: ServerCertificateInfo;
}

/**
 * Reads and checks the PEM files: each readable, the certificate parseable, the key matching it
 * (tls.createSecureContext refuses a mismatch), the CA bundle parseable. Errors name the file.
 */
function loadContextOptions(files: { certFile: string; keyFile: string; caFile?: string }, where: string): LoadedContext {
  const read = (key: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `${key} ${file} cannot be read: ${messageOf(err)}`]);
    }
  };
  const cert = read('certFile', files.certFile);
  const key = read('keyFile', files.keyFile);
  const ca = files.caFile ? read('caFile', files.caFile) : undefined;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `certFile ${files.certFile} is not a PEM certificate: ${messageOf(err)}`]);
  }
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `caFile ${files.caFile} is not a PEM certificate bundle: ${messageOf(err)}`]);
    }
  }
  try {
    tls.createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
  } catch (err) {
    const msg = messageOf(err);
    const which = /key values mismatch|KEY_VALUES_MISMATCH/i.test(msg)
      ? `keyFile ${files.keyFile} is not the private key of certFile ${files.certFile}`
      : /key|PEM|decoder|bad decrypt/i.test(msg) ? `keyFile ${files.keyFile} is not a usable PEM private key (an encrypted key is not supported)` : `certFile ${files.certFile} / keyFile ${files.keyFile} cannot be used`;
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, `${which}: ${msg}`]);
  }
  return {
    options: { cert, key, ...(ca ? { ca } : {}) },
    certificate: { subject: distinguishedName(x509.subject), issuer: distinguishedName(x509.issuer), validTo: x509.validTo, fingerprint256: x509.fingerprint256 },
  };
}

/** How often one source's refusals of one reason are logged, at most. */
const TLS_REFUSED_LOG_INTERVAL_MS = 60_000;

/**
 * Counts every refused TLS connection in haetae_dropped_total{stage="receive",reason="tls_..."}
 * and logs it once a minute per source and reason (with how many more since the last line);
 * counts and logs certificate reloads (haetae_errors_total{error_type="tls_reload"} when the new
 * files could not be used). `now` is injectable for tests.
 */
export function tlsRefusalEvents(log: Logger, metrics: Metrics, now: () => number = Date.now): Pick<TlsListenerEvents, 'onTlsRefused' | 'onTlsReloaded' | 'onTlsReloadFailed'> {
  /** `source reason` → when it was last logged and how many were refused since. Pruned as it is used. */
  const seen = new Map<string, { at: number; since: number }>();
  const listener = (spec: ListenerSpec): string => `tls/${spec.host}:${spec.port}`;
  return {
    onTlsRefused(spec, source, reason, detail) {
      metrics.dropped.inc({ stage: 'receive', reason });
      const t = now();
      const key = `${source} ${reason}`;
      const last = seen.get(key);
      if (last && t - last.at < TLS_REFUSED_LOG_INTERVAL_MS) {
        last.since++;
        return;
      }
      // A flood from many addresses must not grow the map without bound: forget stale entries.
      if (seen.size >= 10_000) for (const [k, v] of seen) if (t - v.at >= TLS_REFUSED_LOG_INTERVAL_MS) seen.delete(k);
      // Still full of recent ones (refusals from 10,000 addresses within a minute): counted, not logged, nothing kept.
      if (seen.size >= 10_000) return;
      const more = last?.since ? ` (${last.since} more since the last line)` : '';
      log.warn({ listener: listener(spec), source, reason, detail }, `Refused a TLS connection from ${source}: ${REFUSAL_TEXT[reason]} (${detail})${more}. Counted in haetae_dropped_total{reason="${reason}"}; logged at most once a minute per source and reason.`);
      seen.set(key, { at: t, since: 0 });
    },
    onTlsReloaded(spec, cert) {
      log.info({ listener: listener(spec), subject: cert.subject, issuer: cert.issuer, validTo: cert.validTo, fingerprint256: cert.fingerprint256 }, `Reloaded the TLS certificate and key of ${listener(spec)}: ${cert.subject}, valid to ${cert.validTo}. New connections use it; open ones keep theirs.`);
    },
    onTlsReloadFailed(spec, err) {
      metrics.errors.inc({ stage: 'receive', error_type: 'tls_reload' });
      log.error({ listener: listener(spec) }, `The TLS files of ${listener(spec)} changed but cannot be used, so the previous certificate and key stay in use: ${err.message}`);
    },
  };
}

const REFUSAL_TEXT: Record<TlsRefusal, string> = {
  tls_plaintext: 'it sent plaintext (not TLS) to the TLS port',
  tls_handshake: 'the TLS handshake failed',
  tls_handshake_timeout: 'it did not complete a TLS handshake in time',
  tls_no_client_cert: 'it presented no client certificate and clientAuth is required',
  tls_untrusted_cert: 'its client certificate does not verify against caFile',
  tls_expired_cert: 'its client certificate is expired or not yet valid',
};
