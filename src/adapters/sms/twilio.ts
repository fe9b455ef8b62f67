import { request } from 'undici';
import { SendError, type SmsMessage, type SmsSender } from '../../app/ports.ts';

export type TwilioConfig = { accountSid: string; authToken: string; from: string; apiBase?: string; timeoutMs?: number };

/**
 * Text messages through Twilio's Messages API: POST {base}/2010-04-01/Accounts/{sid}/Messages.json,
 * form-encoded To/From/Body, HTTP basic auth sid:token; 201 with the message's `sid` when
 * accepted, else a JSON body with `code` and `message`. The API takes no idempotency key, so
 * "never twice" is the message row's job (sending → unknown), not Twilio's. The token is never logged.
 */
export function twilioSender(c: TwilioConfig): SmsSender {
  const base = (c.apiBase ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(c.accountSid)}/Messages.json`;
  const auth = `Basic ${Buffer.from(`${c.accountSid}:${c.authToken}`).toString('base64')}`;
  const timeout = c.timeoutMs ?? 30_000;
  return {
    async send(m: SmsMessage) {
      let res;
      try {
        res = await request(url, {
          method: 'POST', headersTimeout: timeout, bodyTimeout: timeout,
          headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: m.to, From: c.from, Body: m.body }).toString(),
        });
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        // Refused before the request went out: nothing was sent. Anything later: unknown.
        if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'UND_ERR_CONNECT_TIMEOUT') throw new SendError('unavailable', `no connection (${code})`);
        throw new SendError('unknown', `no answer (${code})`);
      }
      const body = await res.body.json().catch(() => ({})) as { sid?: string; code?: number; message?: string };
      if (res.statusCode === 200 || res.statusCode === 201) return { accepted: true as const, providerId: String(body.sid ?? '') };
      const why = `Twilio answered ${res.statusCode}${body.code ? ` (${body.code}: ${body.message ?? ''})` : ''}`;
      if (res.statusCode === 429 || res.statusCode >= 500) throw new SendError(res.statusCode === 429 ? 'unavailable' : 'unknown', why);
      throw new SendError('refused', why);
    },
  };
}
