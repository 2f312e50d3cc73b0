import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../pipeline/notify/channels';
import { HaetaeError } from '../../pipeline/errors/catalog';
import type { OutboundGuard } from './outbound';

/** A message an SMTP server would not take, with whether trying again can help. */
export class EmailDeliveryError extends HaetaeError {
  constructor(label: string, what: string, readonly retryable: boolean, cause: string) {
    super('HAETAE_EMAIL_SMTP', [label, what], { cause });
  }
}

const transports = new Map<string, Transporter>();

/** One pooled SMTP transport per channel (two connections at most), created on first use. */
function transportFor(name: string, s: SmtpSettings, timeoutMs: number): Transporter {
  const key = `${name}\u0000${s.host}\u0000${s.port}\u0000${s.user ?? ''}\u0000${s.secure}`;
  let t = transports.get(key);
  if (!t) {
    t = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.requireTLS,
      ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      tls: { rejectUnauthorized: s.rejectUnauthorized, ...(s.ca ? { ca: s.ca } : {}) },
      pool: true,
      maxConnections: 2,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs * 3,
    });
    transports.set(key, t);
  }
  return t;
}

/** Closes every SMTP connection (notifier shutdown). */
export function closeEmailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

const CERT = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/;

/**
 * Sends one message. The Message-ID is derived from the job id, so a retry after a lost answer
 * carries the same id and mail systems that deduplicate on it show it once.
 */
export async function sendEmail(name: string, label: string, s: SmtpSettings, timeoutMs: number, guard: OutboundGuard | null, mail: { from: string; to: readonly string[]; cc: readonly string[]; subject: string; text: string; html: string; messageId: string }): Promise<string> {
  if (guard) {
    try {
      await guard.check(s.host);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new EmailDeliveryError(label, `${s.host}:${s.port}: ${e.message}`, e.code !== 'EOUTBOUNDDENIED', e.code ?? 'DNS');
    }
  }
  try {
    const info = await transportFor(name, s, timeoutMs).sendMail({
      from: mail.from,
      to: [...mail.to],
      ...(mail.cc.length > 0 ? { cc: [...mail.cc] } : {}),
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      headers: { 'X-Haetae-Delivery': mail.messageId },
    });
    const rejected = (info.rejected ?? []).map(String);
    if (rejected.length > 0 && rejected.length >= mail.to.length + mail.cc.length) {
      throw new EmailDeliveryError(label, `every recipient was refused (${rejected.join(', ')}): ${String(info.response ?? '')}`, false, 'SMTP_RCPT');
    }
    return String(info.response ?? '');
  } catch (err) {
    if (err instanceof EmailDeliveryError) throw err;
    throw classify(err, label, s);
  }
}

function classify(err: unknown, label: string, s: SmtpSettings): EmailDeliveryError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string; command?: string };
  const code = String(e.code ?? '');
  const at = `${s.host}:${s.port}`;
  if (typeof e.responseCode === 'number') {
    const what = `${at} answered ${e.responseCode}${e.command ? ` to ${e.command}` : ''}: ${String(e.response ?? e.message ?? '').slice(0, 200)}`;
    // 4xx: try later (greylisting, full queue, rate limit); 5xx: this message will not be taken.
    const retryable = e.responseCode >= 400 && e.responseCode < 500 && code !== 'EAUTH';
    return new EmailDeliveryError(label, what, retryable, code === 'EAUTH' ? 'SMTP_AUTH' : `SMTP_${e.responseCode}`);
  }
  if (code === 'EAUTH') return new EmailDeliveryError(label, `${at} refused the login: ${String(e.message ?? '')}`, false, 'SMTP_AUTH');
  if (CERT.test(code) || CERT.test(String(e.message ?? ''))) return new EmailDeliveryError(label, `${at}: TLS certificate rejected: ${String(e.message ?? '')}`, false, code || 'CERT');
  if (code === 'ETLS') return new EmailDeliveryError(label, `${at}: STARTTLS failed: ${String(e.message ?? '')}`, false, code);
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ECONNREFUSED…: the network or the server can fix these.
  return new EmailDeliveryError(label, `${at}: ${String(e.message ?? err)}`, true, code || 'UNKNOWN');
}
