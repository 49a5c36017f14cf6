/**
 * Sends the admin emails over SMTP with nodemailer. Without POSTERN_SMTP_URL or without POSTERN_ADMIN_EMAILS the
 * notifier is a no-op that says so once in the log. A failed send rejects, so the caller can keep the alert
 * pending; the SMTP URL (which may hold a password) never reaches a log line or an error message.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../lib/logger.ts';
import {
  integrationPaused,
  integrationRecovered,
  integrationStopped,
  postureLossDigest,
  tokenExpiring,
  type IntegrationAlert,
  type PostureLossItem,
  type Message,
  type TokenExpiryAlert,
} from './messages.ts';
import { userRiskHigh, type UserRiskAlert } from './risk-message.ts';
import { tailnetMessage, type TailnetAlert, type TailnetAlertKind } from './tailnet-messages.ts';

export interface Notifier {
  /** False when no SMTP server or no admin address is configured: every send is a no-op. */
  readonly enabled: boolean;
  integrationPaused(alert: IntegrationAlert): Promise<void>;
  integrationStopped(alert: IntegrationAlert): Promise<void>;
  integrationRecovered(alert: IntegrationAlert): Promise<void>;
  tokenExpiring(alert: TokenExpiryAlert): Promise<void>;
  /** A user's risk level reached high (once per episode). */
  userRiskHigh(alert: UserRiskAlert): Promise<void>;
  /** The daily digest of devices that lost their EDR posture. */
  postureLossDigest(items: readonly PostureLossItem[]): Promise<void>;
  /** A tailnet source paused, stopped or recovered (optional, so notifiers written for integrations still fit). */
  tailnetAlert?(kind: TailnetAlertKind, alert: TailnetAlert): Promise<void>;
  close(): void;
}

export interface NotifierOptions {
  smtpUrl?: string | undefined;
  from: string;
  to: readonly string[];
  logger: Logger;
  /** Tests may pass a transport; otherwise one is built from `smtpUrl`. */
  transport?: Pick<Transporter, 'sendMail' | 'close'>;
}

/** Where the mail goes, without credentials: `smtp://mail.example.com:587`. */
function describeSmtp(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the SMTP server';
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { logger } = options;
  if ((!options.smtpUrl && !options.transport) || options.to.length === 0) {
    logger.info(
      { smtp: Boolean(options.smtpUrl), admins: options.to.length },
      'admin emails are off: set POSTERN_SMTP_URL and POSTERN_ADMIN_EMAILS to be told when an integration pauses, stops or recovers',
    );
    const noop = async () => undefined;
    return {
      enabled: false, integrationPaused: noop, integrationStopped: noop, integrationRecovered: noop, tokenExpiring: noop, postureLossDigest: noop, tailnetAlert: noop, userRiskHigh: noop,
      close: () => undefined,
    };
  }
  const where = options.smtpUrl ? describeSmtp(options.smtpUrl) : 'the SMTP transport';
  const transport =
    options.transport ??
    nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });

  const password = (() => {
    try {
      return options.smtpUrl ? decodeURIComponent(new URL(options.smtpUrl).password) : '';
    } catch {
      return '';
    }
  })();
  const scrub = (text: string) => {
    let out = options.smtpUrl ? text.replaceAll(options.smtpUrl, where) : text;
    if (password) out = out.replaceAll(password, '[redacted]');
    return out;
  };

  async function send(kind: string, integrationId: string | undefined, message: Message): Promise<void> {
    try {
      await transport.sendMail({ from: options.from, to: [...options.to], subject: message.subject, text: message.text });
      logger.info({ integrationId, kind, to: options.to.length }, 'admin email sent');
    } catch (err) {
      const reason = err instanceof Error ? scrub(err.message) : 'unknown error';
      logger.warn({ integrationId, kind, reason }, `admin email could not be sent through ${where}`);
      throw new Error(`The admin email could not be sent through ${where}: ${reason}`);
    }
  }

  return {
    enabled: true,
    integrationPaused: (a) => send('integration.paused', a.integrationId, integrationPaused(a)),
    integrationStopped: (a) => send('integration.stopped', a.integrationId, integrationStopped(a)),
    integrationRecovered: (a) => send('integration.recovered', a.integrationId, integrationRecovered(a)),
    tokenExpiring: (a) => send('token.expiring', a.integrationId, tokenExpiring(a)),
    userRiskHigh: (a) => send('user.risk.high', undefined, userRiskHigh(a)),
    postureLossDigest: (items) => send('posture.loss.digest', '', postureLossDigest(items)),
    tailnetAlert: (kind, a) => send(`tailnet.${kind}`, a.tailnetId, tailnetMessage(kind, a)),
    close: () => transport.close(),
  };
}
