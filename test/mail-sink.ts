import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * An in-process SMTP server that keeps every message it accepts, parsed. `refuseNext(code)`
 * answers the next message's DATA with that code; `hangNext()` never answers it (a server that
 * took the message and went silent). `seen` also keeps the Message-ID of every DATA received.
 */
export async function mailSink() {
  const accepted: ParsedMail[] = [];
  const seen: string[] = [];
  let refuse: number | null = null;
  let hang = false;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onData(stream, _session, callback) {
      void simpleParser(stream).then((mail) => {
        seen.push(mail.messageId ?? '');
        if (hang) { hang = false; return; }
        if (refuse !== null) {
          const code = refuse; refuse = null;
          callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
          return;
        }
        accepted.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    accepted, seen, url: `smtp://127.0.0.1:${port}?starttls=off`,
    refuseNext: (code: number) => { refuse = code; },
    hangNext: () => { hang = true; },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
