import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SentSms = { accountSid: string; to: string; from: string; body: string };

/**
 * A local stand-in for Twilio's Messages API, wire-compatible with what the adapter sends:
 * POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded To/From/Body, HTTP basic auth
 * sid:token. Answers 201 with the message's `sid`, 401 with Twilio's error shape for wrong
 * credentials, and 400 (code 21211) for a `To` that is not E.164.
 */
export async function twilioFake(creds: { accountSid: string; authToken: string }) {
  const sent: SentSms[] = [];
  const read = async (req: IncomingMessage) => { let s = ''; for await (const c of req) s += String(c); return s; };
  const server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const expected = `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || m[1] !== creds.accountSid) return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
    const form = new URLSearchParams(await read(req));
    const to = form.get('To') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return reply(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    sent.push({ accountSid: m[1]!, to, from: form.get('From') ?? '', body: form.get('Body') ?? '' });
    reply(201, { sid: `SM${String(sent.length).padStart(32, '0')}`, status: 'queued', to, from: form.get('From'), body: form.get('Body') });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { sent, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
