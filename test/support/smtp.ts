/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that keeps every message it receives, decoded enough for tests
 * to read recipients, subject and body.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  to: string[];
  subject: string;
  body: string;
}

/** An SMTP server on 127.0.0.1 that keeps every message it receives. */
export async function startSmtp(): Promise<{ url: string; mails: Mail[]; raw: string[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const raw: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        raw.push(text);
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), ...parse(text) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, raw, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Subject and decoded body of a plain-text message (7bit or quoted-printable). */
export function parse(text: string): { subject: string; body: string } {
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = text.slice(split + 4);
  if (/^content-transfer-encoding: quoted-printable$/im.test(head)) {
    body = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return { subject: decodeWords(/^subject: (.*)$/im.exec(head)?.[1] ?? ''), body: body.replace(/\r\n/g, '\n') };
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`) in a header value. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
    );
}

