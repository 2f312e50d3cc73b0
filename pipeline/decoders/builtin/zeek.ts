/**
 * Zeek JSON logs: one JSON object per line from Zeek's JSON writer (`LogAscii::use_json=T`), e.g.
 *
 *   {"ts":1547188415.857497,"uid":"CAcJw21BbVedgFnYH3","id.orig_h":"192.168.86.167","id.orig_p":38339,
 *    "id.resp_h":"192.168.86.1","id.resp_p":53,"proto":"udp","query":"dd625ffb4fc54735b281862aa1cd6cd4.us-west1.gcp.cloud.es.io",…}
 *
 * The log type comes from the program name (`zeek_dns`, `zeek-conn`, `bro_http`, `dns`), the
 * `_path` field when the writer adds one, or else the fields present. Mapped as Filebeat's zeek
 * module: every field under `zeek.<log>.*` (conn → `zeek.connection.*`), `uid` → zeek.session_id
 * and event.id, the 4-tuple → source.* / destination.*, and per log the ECS fields
 * (network.*, dns.*, http.* / url.* / user_agent.*, tls.*, file.*, x509.*, rule.*, email.*…) that
 * rules/mappings/zeek.yml names. Dataset: `zeek.<log>` (zeek.connection, zeek.dns, …).
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { Fields, MAX_INPUT, basename, ecsMac, guarded, isIp, toInt, toNumber } from './common';
import { flatten } from './json';

/** Zeek log name → namespace under zeek.* (Filebeat names conn "connection"). */
const NAMESPACE: Record<string, string> = { conn: 'connection' };

const KNOWN = new Set([
  'conn', 'dns', 'http', 'ssl', 'files', 'notice', 'weird', 'x509', 'smtp', 'ssh', 'dhcp', 'kerberos', 'rdp', 'dce_rpc', 'smb_files',
  'smb_mapping', 'ntlm', 'ftp', 'sip', 'snmp', 'socks', 'tunnel', 'software', 'known_hosts', 'known_services', 'known_certs', 'pe',
  'intel', 'irc', 'mysql', 'radius', 'modbus', 'dnp3', 'signatures', 'traceroute', 'capture_loss', 'stats', 'ocsp', 'dpd', 'syslog',
  'ntp', 'quic', 'analyzer', 'conn_long', 'loaded_scripts', 'packet_filter', 'reporter', 'notice_alarm', 'weird_stats',
]);

/** The log type from the program name ('zeek_dns', 'bro-http', 'zeek.conn', 'dns'). */
export function logFromProgram(program: string | undefined): string | null {
  if (!program) return null;
  const m = /^(?:zeek|bro)[-_.]?(.*)$/i.exec(program);
  const name = (m ? m[1]! : program).toLowerCase().replace(/-/g, '_').replace(/\.log$/, '');
  return KNOWN.has(name) ? name : null;
}

/** The log type from the fields present. */
export function logFromFields(o: Record<string, unknown>): string | null {
  const has = (k: string): boolean => k in o;
  if (typeof o['_path'] === 'string' && /^[a-z0-9_]{1,32}$/.test(o['_path'])) return o['_path'];
  if (has('query') && (has('qtype_name') || has('trans_id') || has('rcode_name'))) return 'dns';
  if (has('conn_state') || (has('history') && has('orig_bytes')) || (has('duration') && has('orig_pkts'))) return 'conn';
  if (has('method') && (has('uri') || has('host')) && (has('status_code') || has('trans_depth') || has('user_agent'))) return 'http';
  if (has('certificate.subject') || has('certificate.serial') || (typeof o['certificate'] === 'object' && has('fingerprint'))) return 'x509';
  if (has('fuid') && (has('mime_type') || has('seen_bytes') || has('tx_hosts') || has('analyzers'))) return 'files';
  if (has('version') && (has('cipher') || has('server_name') || has('established')) && !has('auth_success')) return 'ssl';
  if (has('note') && (has('msg') || has('actions'))) return 'notice';
  if (has('request_type') && (has('client') || has('service')) && (has('cipher') || has('success') || has('till'))) return 'kerberos';
  if (has('mailfrom') || has('rcptto') || (has('helo') && has('trans_depth'))) return 'smtp';
  if (has('auth_success') || has('hassh') || has('kex_alg') || (has('client') && has('server') && has('version') && has('direction'))) return 'ssh';
  if (has('assigned_addr') || has('lease_time') || has('msg_types')) return 'dhcp';
  if (has('cookie') && (has('security_protocol') || has('result') || has('keyboard_layout'))) return 'rdp';
  if (has('named_pipe') || (has('endpoint') && has('operation'))) return 'dce_rpc';
  if (has('action') && has('path') && has('name') && (has('fuid') || has('times.modified') || has('size'))) return 'smb_files';
  if (has('share_type') || (has('path') && has('service') && has('native_file_system'))) return 'smb_mapping';
  if (has('name') && (has('addl') || has('notice')) && has('peer')) return 'weird';
  if (has('hostname') && has('domain') && has('success') && has('username')) return 'ntlm';
  return null;
}

const iso = (ts: unknown): string | undefined => {
  if (typeof ts === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(ts)) {
    const d = new Date(ts);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  const n = toNumber(ts);
  if (n === null || n <= 0 || n > 1e11) return undefined;
  const d = new Date(Math.round(n * 1000));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '-' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : typeof v === 'string' && v !== '' ? [v] : []);

const TLS_VERSIONS: Record<string, [string, string]> = {
  SSLv2: ['ssl', '2.0'], SSLv3: ['ssl', '3.0'], TLSv10: ['tls', '1.0'], TLSv11: ['tls', '1.1'], TLSv12: ['tls', '1.2'], TLSv13: ['tls', '1.3'],
  DTLSv10: ['dtls', '1.0'], DTLSv12: ['dtls', '1.2'],
};

function decode(input: DecoderInput): DecodeResult | null {
  const text = input.message.trim();
  const fromProgram = logFromProgram(input.program);
  if (!text.startsWith('{')) return fromProgram ? { ok: false, reason: 'zeek: not a JSON object' } : null;
  if (text.length > MAX_INPUT) return { ok: false, reason: `zeek: log line longer than ${MAX_INPUT} characters` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `zeek: invalid JSON: ${err instanceof Error ? err.message : ''}`.slice(0, 200) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fromProgram ? { ok: false, reason: 'zeek: not a JSON object' } : null;
  const o = parsed as Record<string, unknown>;
  const log = fromProgram ?? logFromFields(o);
  if (!log) {
    // Not recognizably Zeek (no program hint, no known field set): let the generic JSON decoder have it.
    if (!('ts' in o) || !('uid' in o || 'id.orig_h' in o)) return null;
  }
  const name = log ?? 'unknown';
  const ns = `zeek.${NAMESPACE[name] ?? name}`;
  const f = new Fields();

  // Everything, raw, under zeek.<log>.* (the 4-tuple and uid go to their common fields instead).
  let leaves = 0;
  flatten(o, (path, value) => {
    if (leaves++ >= 256) return false;
    if (path === 'uid' || path === '_path' || path === '_write_ts' || path.startsWith('id.')) return true;
    f.set(`${ns}.${path}`, value);
    return true;
  });

  // ECS would say 'alert' for a notice; the event contract (schemas/event.schema.json) allows only 'event' here.
  f.set('event.kind', 'event');
  f.set('zeek.write_ts', iso(o['_write_ts'])); // not event.created: the contract gives that to the receiver
  f.set('zeek.ts', iso(o['ts']));
  const uid = str(o['uid']);
  if (uid) {
    f.set('zeek.session_id', uid);
    f.set('event.id', uid);
  }
  f.setIp('source.ip', o['id.orig_h']);
  f.setPort('source.port', o['id.orig_p']);
  f.setIp('destination.ip', o['id.resp_h']);
  f.setPort('destination.port', o['id.resp_p']);
  const proto = str(o['proto']);
  if (proto && /^(?:tcp|udp|icmp|unknown_transport)$/.test(proto)) f.set('network.transport', proto);
  const category: string[] = ['network'];
  let type: string[] = ['connection', 'protocol', 'info'];

  switch (name) {
    case 'conn': {
      type = ['connection', 'info'];
      const svc = str(o['service']);
      if (svc) f.set('network.protocol', svc.split(',')[0]);
      f.setInt('source.bytes', o['orig_ip_bytes']);
      f.setInt('destination.bytes', o['resp_ip_bytes']);
      f.setInt('source.packets', o['orig_pkts']);
      f.setInt('destination.packets', o['resp_pkts']);
      const ob = toInt(o['orig_ip_bytes']);
      const rb = toInt(o['resp_ip_bytes']);
      if (ob !== null && rb !== null) f.set('network.bytes', ob + rb);
      const op = toInt(o['orig_pkts']);
      const rp = toInt(o['resp_pkts']);
      if (op !== null && rp !== null) f.set('network.packets', op + rp);
      const dur = toNumber(o['duration']);
      if (dur !== null) f.set('event.duration', Math.round(dur * 1e9));
      f.set('zeek.connection.state', str(o['conn_state']));
      const local = o['local_orig'] === true ? (o['local_resp'] === true ? 'internal' : 'outbound') : o['local_orig'] === false ? (o['local_resp'] === true ? 'inbound' : 'external') : undefined;
      f.set('network.direction', local);
      f.set('network.community_id', str(o['community_id']));
      break;
    }
    case 'dns': {
      const q = str(o['query']);
      f.set('dns.question.name', q);
      if (q) f.related('hosts', q);
      f.set('dns.question.type', str(o['qtype_name']));
      f.set('dns.question.class', str(o['qclass_name']));
      { const id = toInt(o['trans_id']); if (id !== null) f.set('dns.id', String(id)); } // ECS: dns.id is a keyword
      f.set('dns.response_code', str(o['rcode_name']));
      const answers = strs(o['answers']);
      if (answers.length > 0) {
        f.set('dns.answers.data', answers.slice(0, 64));
        const ips = answers.filter((a) => isIp(a));
        if (ips.length > 0) f.set('dns.resolved_ip', ips.slice(0, 64));
        const ttls = Array.isArray(o['TTLs']) ? (o['TTLs'] as unknown[]).filter((x) => typeof x === 'number') : [];
        if (ttls.length === answers.length) f.set('dns.answers.ttl', ttls);
      }
      f.set('dns.type', answers.length > 0 || o['rcode'] !== undefined ? 'answer' : 'query');
      const flags = ['AA', 'TC', 'RD', 'RA'].filter((k) => o[k] === true);
      if (flags.length > 0) f.set('dns.header_flags', flags);
      f.set('network.protocol', 'dns');
      break;
    }
    case 'http': {
      category.push('web');
      type = ['connection', 'protocol', 'info'];
      const host = str(o['host']);
      const uri = str(o['uri']);
      f.set('url.domain', host);
      if (host) f.related('hosts', host);
      f.set('url.original', uri);
      if (uri) {
        const qm = uri.indexOf('?');
        f.set('url.path', qm >= 0 ? uri.slice(0, qm) : uri);
        if (qm >= 0) f.set('url.query', uri.slice(qm + 1) || undefined);
      }
      f.set('http.request.method', str(o['method']));
      f.setInt('http.response.status_code', o['status_code']);
      f.set('http.version', str(o['version']));
      f.set('http.request.referrer', str(o['referrer']));
      f.setInt('http.request.body.bytes', o['request_body_len']);
      f.setInt('http.response.body.bytes', o['response_body_len']);
      f.set('user_agent.original', str(o['user_agent']));
      const user = str(o['username']);
      if (user) { f.set('url.username', user); f.related('user', user); }
      const mimes = strs(o['resp_mime_types']);
      if (mimes.length > 0) f.set('http.response.mime_type', mimes[0]);
      f.set('network.protocol', 'http');
      break;
    }
    case 'ssl': {
      const v = str(o['version']);
      const tv = v ? TLS_VERSIONS[v] : undefined;
      if (tv) { f.set('tls.version_protocol', tv[0]); f.set('tls.version', tv[1]); }
      f.set('tls.cipher', str(o['cipher']));
      f.set('tls.curve', str(o['curve']));
      if (typeof o['established'] === 'boolean') f.set('tls.established', o['established']);
      if (typeof o['resumed'] === 'boolean') f.set('tls.resumed', o['resumed']);
      const sni = str(o['server_name']);
      f.set('tls.client.server_name', sni);
      if (sni) { f.set('destination.domain', sni); f.related('hosts', sni); }
      f.set('tls.next_protocol', str(o['next_protocol']));
      f.set('tls.client.ja3', str(o['ja3']));
      f.set('tls.server.ja3s', str(o['ja3s']));
      f.set('tls.server.subject', str(o['subject']));
      f.set('tls.server.issuer', str(o['issuer']));
      f.set('tls.client.subject', str(o['client_subject']));
      f.set('tls.client.issuer', str(o['client_issuer']));
      f.set('network.protocol', 'tls');
      break;
    }
    case 'files': {
      category.splice(0, 1, 'file');
      type = ['info'];
      const fname = str(o['filename']);
      if (fname) { f.set('file.name', basename(fname)); }
      f.set('file.mime_type', str(o['mime_type']));
      f.setInt('file.size', o['total_bytes'] ?? o['seen_bytes']);
      for (const alg of ['md5', 'sha1', 'sha256'] as const) {
        const h = str(o[alg]);
        if (h) { f.set(`file.hash.${alg}`, h); f.related('hash', h); }
      }
      for (const ip of [...strs(o['tx_hosts']), ...strs(o['rx_hosts'])]) f.related('ip', isIp(ip) ? ip : undefined);
      if (!f.has('source.ip')) f.setIp('source.ip', strs(o['tx_hosts'])[0]);
      if (!f.has('destination.ip')) f.setIp('destination.ip', strs(o['rx_hosts'])[0]);
      if (!f.has('zeek.session_id')) f.set('zeek.session_id', strs(o['conn_uids'])[0]);
      break;
    }
    case 'notice': {
      category.push('intrusion_detection');
      type = ['info'];
      f.set('rule.name', str(o['note']));
      f.set('rule.description', str(o['msg']));
      f.setIp('source.ip', f.get('source.ip') ?? o['src']);
      f.setIp('destination.ip', f.get('destination.ip') ?? o['dst']);
      if (!f.has('destination.port')) f.setPort('destination.port', o['p']);
      break;
    }
    case 'weird': {
      type = ['info'];
      f.set('rule.name', str(o['name']));
      break;
    }
    case 'x509': {
      category.splice(0, 1, 'file');
      type = ['info'];
      const c = (k: string): unknown => o[`certificate.${k}`] ?? (o['certificate'] as Record<string, unknown> | undefined)?.[k];
      f.set('x509.serial_number', str(c('serial')));
      f.set('x509.subject.distinguished_name', str(c('subject')));
      f.set('x509.issuer.distinguished_name', str(c('issuer')));
      f.setInt('x509.version_number', c('version'));
      f.set('x509.not_before', iso(c('not_valid_before')));
      f.set('x509.not_after', iso(c('not_valid_after')));
      f.set('x509.public_key_algorithm', str(c('key_alg')));
      f.set('x509.signature_algorithm', str(c('sig_alg')));
      f.setInt('x509.public_key_size', c('key_length'));
      f.set('x509.public_key_curve', str(c('curve')));
      const san = strs(o['san.dns'] ?? (o['san'] as Record<string, unknown> | undefined)?.['dns']);
      if (san.length > 0) f.set('x509.alternative_names', san.slice(0, 64));
      break;
    }
    case 'smtp': {
      category.push('email');
      type = ['protocol', 'info'];
      const from = str(o['mailfrom']);
      if (from) f.set('email.from.address', [from]);
      const to = strs(o['rcptto']);
      if (to.length > 0) f.set('email.to.address', to.slice(0, 64));
      f.set('email.subject', str(o['subject']));
      f.set('email.message_id', str(o['msg_id']));
      f.set('user_agent.original', str(o['user_agent']));
      f.set('network.protocol', 'smtp');
      break;
    }
    case 'ssh': {
      type = ['connection', 'protocol', 'info'];
      if (o['auth_attempted'] === true || typeof o['auth_success'] === 'boolean') category.push('authentication');
      if (o['auth_success'] === true) f.set('event.outcome', 'success');
      else if (o['auth_success'] === false) f.set('event.outcome', 'failure');
      f.set('network.protocol', 'ssh');
      break;
    }
    case 'dhcp': {
      type = ['connection', 'protocol', 'info'];
      f.set('network.protocol', 'dhcp');
      for (const k of ['client_addr', 'server_addr', 'assigned_addr', 'requested_addr']) f.related('ip', isIp(o[k]) ? (o[k] as string) : undefined);
      const hn = str(o['host_name']);
      if (hn) f.related('hosts', hn);
      f.set('source.mac', ecsMac(str(o['mac'])));
      break;
    }
    case 'kerberos': {
      category.push('authentication');
      type = ['info'];
      if (o['success'] === true) f.set('event.outcome', 'success');
      else if (o['success'] === false) f.set('event.outcome', 'failure');
      const client = str(o['client']);
      if (client) f.related('user', client.split('/')[0]);
      f.set('network.protocol', 'kerberos');
      break;
    }
    case 'smb_files': {
      category.push('file');
      type = ['info'];
      f.set('file.name', str(o['name']));
      f.set('file.directory', str(o['path']));
      f.setInt('file.size', o['size']);
      f.set('network.protocol', 'smb');
      break;
    }
    case 'ntlm': {
      category.push('authentication');
      type = ['info'];
      const user = str(o['username']);
      if (user) { f.set('user.name', user); f.related('user', user); }
      f.set('user.domain', str(o['domainname']));
      if (o['success'] === true) f.set('event.outcome', 'success');
      else if (o['success'] === false) f.set('event.outcome', 'failure');
      break;
    }
    case 'rdp': f.set('network.protocol', 'rdp'); break;
    case 'dce_rpc': f.set('network.protocol', 'dce_rpc'); break;
    default: break;
  }
  f.set('event.category', category);
  f.set('event.type', type);
  return { ok: true, dataset: `zeek.${NAMESPACE[name] ?? name}`, fields: f.out };
}

export const zeek: BuiltinCode = { decode: guarded('zeek', decode) };
