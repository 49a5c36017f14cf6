/**
 * Notify: the emails admins (POSTERN_ADMIN_EMAILS) get through SMTP (POSTERN_SMTP_URL) when an integration pauses,
 * stops or recovers, before an API token expires that postern cannot renew, and a daily digest of devices that lost
 * their EDR posture. One function per message; the
 * messages are pure (`messages.ts`), the notifier a thin nodemailer shell that is a no-op when unconfigured.
 * Imported by sync and tailnet (the alert types) and main (the factory).
 */
export { createNotifier, type Notifier, type NotifierOptions } from './mailer.ts';
export {
  integrationPaused,
  integrationStopped,
  integrationRecovered,
  tokenExpiring,
  postureLossDigest,
  wrap,
  type PostureLossItem,
  type IntegrationAlert,
  type IntegrationRef,
  type TokenExpiryAlert,
  type Message,
} from './messages.ts';
export { userRiskHigh, type UserRiskAlert } from './risk-message.ts';
export { tailnetMessage, type TailnetAlert, type TailnetAlertKind } from './tailnet-messages.ts';
