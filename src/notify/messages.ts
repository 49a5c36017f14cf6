/**
 * The emails postern sends to admins (pure): one function per message, each saying which integration, what
 * failed and what to do. They never carry the API token; only its masked form (`****abcd`) identifies it.
 */

export interface IntegrationRef {
  integrationId: string;
  name: string;
  baseUrl: string;
  /** `****abcd`, never the secret. */
  apiTokenMasked: string;
  staleAfterSeconds: number;
  /** The vendor, for people (`CrowdStrike Falcon`), and what to do in its console when it refuses postern. */
  vendor: { displayName: string; credential: string; newCredential: string; scope: string; config: string };
}

export interface IntegrationAlert extends IntegrationRef {
  lastError: { code: string; message: string } | null;
  lastSuccessfulSyncAt: string | null;
  /** When paused: the next attempt. */
  nextSyncAt: string | null;
  /** When paused: the moment postern stops retrying if authentication keeps failing. */
  giveUpAt: string | null;
}

export interface TokenExpiryAlert extends IntegrationRef {
  expiresAt: string;
  /** Why postern does not renew the token itself. */
  reason: 'renewal_denied' | 'renewal_failing';
  nowMs: number;
}

export interface Message {
  subject: string;
  text: string;
}

/** A vendor's refusals of postern's credential (`S1_AUTH_FAILED`, `FALCON_FORBIDDEN`, ...). */
const isAuthCode = (code: string) => code.endsWith('_AUTH_FAILED') || code.endsWith('_FORBIDDEN');
const isForbidden = (code: string | undefined) => code?.endsWith('_FORBIDDEN') ?? false;

/** Wraps prose at 72 columns so the mail reads well and travels as plain 7-bit text. */
export function wrap(text: string, width = 72): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.length <= width) return line;
      const indent = /^\s*(?:- )?/.exec(line)![0].replace('- ', '  ');
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current !== '' && current.length + 1 + word.length > width) {
          out.push(current);
          current = indent + word;
        } else current = current === '' ? word : `${current} ${word}`;
      }
      if (current !== '') out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

const hours = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : `${Math.round(seconds / 60)} minutes`);

function header(a: IntegrationRef): string[] {
  return [`Integration: ${a.name} (${a.integrationId}), ${a.vendor.displayName}`, `Console:     ${a.baseUrl}`, `${a.vendor.credential}: ${a.apiTokenMasked}`];
}

function failure(a: IntegrationAlert): string[] {
  return [
    `What failed: ${a.lastError ? `${a.lastError.message} (${a.lastError.code})` : 'unknown'}`,
    `Last successful sync: ${a.lastSuccessfulSyncAt ?? 'never'}`,
  ];
}

const STALE_NOTE = (a: IntegrationRef) =>
  `Meanwhile devices keep the attributes of the last successful sync; ${hours(a.staleAfterSeconds)} after it they count as stale and no longer satisfy postures.`;

function message(subject: string, lines: string[]): Message {
  return { subject, text: wrap(`${lines.join('\n')}\n\n-- \npostern\n`) };
}

export function integrationPaused(a: IntegrationAlert): Message {
  const forbidden = isForbidden(a.lastError?.code);
  return message(`postern: ${a.vendor.displayName} integration "${a.name}" is paused`, [
    `${a.vendor.displayName} refused postern's ${a.vendor.credential}, so the integration "${a.name}" is paused.`,
    '',
    ...header(a),
    ...failure(a),
    '',
    `postern retries with a growing delay${a.nextSyncAt ? ` (next attempt ${a.nextSyncAt})` : ''}${a.giveUpAt ? ` until ${a.giveUpAt}` : ''}, then stops until the configuration is changed.`,
    '',
    'What to do:',
    forbidden ? a.vendor.scope : a.vendor.newCredential,
    '',
    STALE_NOTE(a),
  ]);
}

/** The stored token cannot be used: its master key or its binding to the row and host is wrong. */
const SECRET_CODES = new Set(['MASTER_KEY_INVALID', 'SECRET_BINDING_INVALID']);

export function integrationStopped(a: IntegrationAlert): Message {
  const auth = a.lastError !== null && isAuthCode(a.lastError.code);
  const secret = a.lastError !== null && SECRET_CODES.has(a.lastError.code);
  const { displayName, credential } = a.vendor;
  return message(`postern: ${displayName} integration "${a.name}" has stopped syncing`, [
    secret
      ? `postern cannot use the stored ${credential} of the integration "${a.name}" (see the error below), so it has stopped and the secret was not sent anywhere. Enter the ${credential} again to resume.`
      : auth
      ? `${displayName} kept refusing postern's ${credential} for 24 hours, so the integration "${a.name}" has stopped. postern makes no more attempts until its configuration is changed.`
      : `The integration "${a.name}" has a configuration ${displayName} will not accept, so it has stopped. postern makes no more attempts until its configuration is changed.`,
    '',
    ...header(a),
    ...failure(a),
    '',
    'What to do:',
    auth ? (isForbidden(a.lastError?.code) ? a.vendor.scope : a.vendor.newCredential) : a.vendor.config,
    '',
    STALE_NOTE(a),
  ]);
}

export function integrationRecovered(a: IntegrationAlert): Message {
  return message(`postern: ${a.vendor.displayName} integration "${a.name}" is syncing again`, [
    `The integration "${a.name}" synced successfully again. Devices carry current ${a.vendor.displayName} attributes; nothing more needs doing.`,
    '',
    ...header(a),
    `Last successful sync: ${a.lastSuccessfulSyncAt ?? 'unknown'}`,
  ]);
}

export function tokenExpiring(a: TokenExpiryAlert): Message {
  const days = Math.max(0, Math.ceil((Date.parse(a.expiresAt) - a.nowMs) / 86_400_000));
  return message(`postern: the ${a.vendor.credential} of ${a.vendor.displayName} integration "${a.name}" expires in ${days} day${days === 1 ? '' : 's'}`, [
    `The ${a.vendor.credential} of the integration "${a.name}" expires on ${a.expiresAt}.`,
    a.reason === 'renewal_denied'
      ? `postern cannot renew it: ${a.vendor.displayName} refused to issue a new one for this account (its role may not; an admin role may).`
      : 'postern tried to renew it and failed; see the server log for why.',
    '',
    ...header(a),
    '',
    'What to do before it expires:',
    a.vendor.newCredential,
    '',
    'If it expires, syncs are paused, then stopped, and devices lose their verification once their data goes stale.',
  ]);
}

/** One device that lost an EDR vendor's posture, for the daily digest. */
export interface PostureLossItem {
  deviceId: string;
  deviceName: string;
  lostAt: string;
  integrationName: string;
  code: string;
  message: string;
}

export function postureLossDigest(items: readonly PostureLossItem[]): Message {
  const n = items.length;
  return message(`postern: ${n} device${n === 1 ? '' : 's'} lost EDR posture`, [
    `Since the last digest, ${n} device${n === 1 ? '' : 's'} lost the EDR attributes their access depends on. Postures that need them now deny these devices.`,
    '',
    ...items.map((i) => `- ${i.deviceName} (${i.deviceId}) at ${i.lostAt}, from "${i.integrationName}": ${i.message} (${i.code})`),
    '',
    'What to do: check that the EDR agent is installed and reporting on each device, that its serial number still matches the device in postern, and that the integration is configured and syncing. GET /v1/posture-losses lists them.',
  ]);
}
