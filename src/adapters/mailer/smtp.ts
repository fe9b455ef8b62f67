import nodemailer from 'nodemailer';
import { SendError, type MailMessage, type Mailer } from '../../app/ports.ts';

// nodemailer's error codes for "never got through to handing the message over": nothing was
// delivered, so trying again later cannot make a duplicate.
const NOT_CONNECTED = new Set(['ECONNECTION', 'EDNS', 'ESOCKET', 'ETLS', 'EAUTH', 'ECONNREFUSED']);

/**
 * Email over SMTP (SMTP_URL, e.g. smtp://user:pass@host:587 or smtps://…:465). The Message-ID is ours, not
 * nodemailer's, so every try of one message carries the same one. The URL holds a password:
 * it is never logged, and errors are reported by code and server reply only.
 */
export function smtpMailer(url: string, opts: { timeoutMs?: number } = {}): Mailer & { close(): void } {
  const timeout = opts.timeoutMs ?? 30_000;
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: u.hostname, port: u.port ? Number(u.port) : secure ? 465 : 587, secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    // ?starttls=off for a local relay that offers STARTTLS with a certificate nobody can check.
    ignoreTLS: u.searchParams.get('starttls') === 'off',
    connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
  });
  return {
    async send(m: MailMessage) {
      try {
        const info = await transport.sendMail({
          messageId: m.messageId, from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html, headers: m.headers,
          attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        });
        return { accepted: true as const, response: String(info.response ?? '') };
      } catch (err) {
        throw classify(err);
      }
    },
    close: () => transport.close(),
  };
}

function classify(err: unknown): SendError {
  const e = err as { code?: string; responseCode?: number; command?: string; response?: string; message?: string };
  const reply = e.response ? `: ${e.response}` : '';
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return new SendError('refused', `server refused (${e.responseCode})${reply}`);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) return new SendError('unavailable', `server said try later (${e.responseCode})${reply}`);
  if (e.code && NOT_CONNECTED.has(e.code) && e.command !== 'DATA' && e.command !== 'DATA_END') return new SendError('unavailable', `no connection (${e.code})`);
  // Lost mid-conversation, possibly after the server took the message: the outcome is not known.
  return new SendError('unknown', `no answer (${e.code ?? 'error'})`);
}
