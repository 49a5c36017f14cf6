/**
 * Configuration: one zod schema over environment variables and command-line flags, parsed once at start and
 * passed down. Nothing else reads `process.env`. Imported by main and cli.
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { PosternError } from '../lib/errors.ts';
import { parseCidr } from '../lib/ip.ts';

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The same parser policies and forward-auth use; an IPv4-mapped prefix (::ffff:10.0.0.0/104) is its IPv4 prefix. */
const cidr = z.string().refine((s) => parseCidr(s) !== null, {
  message: 'must be an IP address or CIDR like 10.0.0.0/8 (an IPv4-mapped prefix needs at least /96, e.g. ::ffff:10.0.0.0/104)',
});

export const ConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  databaseUrl: z.string().min(1).default('sqlite:./data/postern.db'),
  /** At least 128 bits in its shape: 32 or more characters of the bearer-token alphabet (RFC 6750). */
  adminToken: z
    .string()
    .max(200)
    .refine((t) => t.length >= 32 && /^[A-Za-z0-9._~+/-]+=*$/.test(t), {
      message: 'must be at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (128 bits or more); generate one with `openssl rand -hex 32`',
    })
    .optional(),
  masterKey: z.string().optional(),
  /** Where a generated master key is kept when POSTERN_MASTER_KEY is unset; defaults beside the SQLite file. */
  masterKeyFile: z.string().optional(),
  smtpUrl: z.string().url().optional(),
  smtpFrom: z.string().default('postern <postern@localhost>'),
  adminEmails: z.array(z.email()).default([]),
  trustedProxies: z.array(cidr).default([]),
  /** What the decision log keeps: `summary` (denials and would-denies as rows, allows counted per minute), `all`, `denied`. */
  decisionLog: z.enum(['summary', 'all', 'denied'], { error: 'must be summary, all or denied' }).default('summary'),
  /** Rows kept in the decision log at most (the newest); older ones are pruned. */
  decisionLogMaxRows: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Bytes the caches on the decision path may hold: kept decisions this much, client addresses 1/16, hosts 1/64. */
  gateCacheBytes: z.coerce.number().int().min(64 * 1024).max(16 * 1024 ** 3).default(64 * 1024 * 1024),
  /** Days a decision log row is kept. */
  decisionLogRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
  /** How long a process owns an integration's sync without renewing; a dead owner's integration is free after it. */
  syncLeaseSeconds: z.coerce.number().int().min(2).max(3600).default(60),
  /** How often each process re-reads the integration list (learns ones created, changed or removed elsewhere). */
  syncTickSeconds: z.coerce.number().int().min(1).max(3600).default(60),
  /** How long a user's risk event counts after its episode ended (user:riskLevel). */
  riskWindowDays: z.coerce.number().int().min(1).max(365).default(14),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The identity provider `postern agent report --login` signs users in with (OIDC device authorization). */
  oidcIssuer: z.url({ error: 'must be the issuer URL, e.g. https://accounts.example.com' }).optional(),
  oidcClientId: z.string().min(1).max(500).optional(),
  /** Only for providers whose device flow needs a confidential client. */
  oidcClientSecret: z.string().min(1).max(1000).optional(),
  /** The address people reach postern at (the console's sign-in redirect is `<publicUrl>/auth/callback`); default: where it listens. */
  publicUrl: z.url({ error: 'must be the URL people open postern at, e.g. https://postern.example.com' }).optional(),
  /** Console sign-in: the ID-token (or userinfo) claim that lists the person's groups. */
  oidcGroupsClaim: z.string().min(1).max(200).default('groups'),
  /** Console sign-in: members of any of these groups are admins; of these, viewers. Others are refused. */
  oidcAdminGroups: z.array(z.string().min(1).max(500)).default([]),
  oidcViewerGroups: z.array(z.string().min(1).max(500)).default([]),
  /** Console sign-in: the scopes asked for (add `groups` where the provider needs it for the groups claim). */
  oidcScopes: z.string().regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, { message: 'must be scopes separated by single spaces, e.g. "openid email profile groups"' }).default('openid email profile'),
  /** How long a console session lasts before the person signs in again. */
  sessionTtlSeconds: z.coerce.number().int().min(60).max(30 * 86_400).default(8 * 3600),
  /** PEM certificate (chain) and private key files: with both, postern serves HTTPS itself. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Listen beyond loopback without TLS (a TLS proxy is in front); postern warns at start. */
  allowPlaintext: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((v) => v === 'true'),
  /** Accept verified emails whose local part is not ASCII at agent sign-in (refused by default: lookalikes). */
  oidcAllowUnicodeEmail: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((v) => v === 'true'),
}).refine((c) => (c.tlsCert === undefined) === (c.tlsKey === undefined), {
  message: 'must be set together with POSTERN_TLS_KEY: set both to serve HTTPS, or neither (and put a TLS proxy in front)',
  path: ['tlsCert'],
});

export type Config = z.output<typeof ConfigSchema>;

const ENV_NAMES: Record<keyof Config, string> = {
  port: 'POSTERN_PORT',
  host: 'POSTERN_HOST',
  databaseUrl: 'POSTERN_DATABASE_URL',
  adminToken: 'POSTERN_ADMIN_TOKEN',
  masterKey: 'POSTERN_MASTER_KEY',
  masterKeyFile: 'POSTERN_MASTER_KEY_FILE',
  smtpUrl: 'POSTERN_SMTP_URL',
  smtpFrom: 'POSTERN_SMTP_FROM',
  adminEmails: 'POSTERN_ADMIN_EMAILS',
  trustedProxies: 'POSTERN_TRUSTED_PROXIES',
  decisionLog: 'POSTERN_DECISION_LOG',
  decisionLogMaxRows: 'POSTERN_DECISION_LOG_MAX_ROWS',
  decisionLogRetentionDays: 'POSTERN_DECISION_LOG_RETENTION_DAYS',
  gateCacheBytes: 'POSTERN_GATE_CACHE_BYTES',
  syncLeaseSeconds: 'POSTERN_SYNC_LEASE_SECONDS',
  syncTickSeconds: 'POSTERN_SYNC_TICK_SECONDS',
  riskWindowDays: 'POSTERN_RISK_WINDOW_DAYS',
  logLevel: 'POSTERN_LOG_LEVEL',
  oidcIssuer: 'POSTERN_OIDC_ISSUER',
  oidcClientId: 'POSTERN_OIDC_CLIENT_ID',
  oidcClientSecret: 'POSTERN_OIDC_CLIENT_SECRET',
  publicUrl: 'POSTERN_PUBLIC_URL',
  oidcGroupsClaim: 'POSTERN_OIDC_GROUPS_CLAIM',
  oidcAdminGroups: 'POSTERN_OIDC_ADMIN_GROUPS',
  oidcViewerGroups: 'POSTERN_OIDC_VIEWER_GROUPS',
  oidcScopes: 'POSTERN_OIDC_SCOPES',
  sessionTtlSeconds: 'POSTERN_SESSION_TTL_SECONDS',
  tlsCert: 'POSTERN_TLS_CERT',
  tlsKey: 'POSTERN_TLS_KEY',
  allowPlaintext: 'POSTERN_ALLOW_PLAINTEXT',
  oidcAllowUnicodeEmail: 'POSTERN_OIDC_ALLOW_UNICODE_EMAIL',
};

/** Reads the configuration: flags override environment variables, which override defaults. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<keyof Config, unknown>> = {}): Config {
  const fromEnv = (key: keyof Config) => {
    const v = env[ENV_NAMES[key]];
    return v === undefined || v === '' ? undefined : v;
  };
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_NAMES) as (keyof Config)[]) raw[key] = flags[key] ?? fromEnv(key);
  if (typeof raw.adminEmails === 'string') raw.adminEmails = list(raw.adminEmails);
  if (typeof raw.trustedProxies === 'string') raw.trustedProxies = list(raw.trustedProxies);
  if (typeof raw.oidcAdminGroups === 'string') raw.oidcAdminGroups = list(raw.oidcAdminGroups);
  if (typeof raw.oidcViewerGroups === 'string') raw.oidcViewerGroups = list(raw.oidcViewerGroups);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path[0] as keyof Config;
      return `${ENV_NAMES[key] ?? String(key)}${i.path.length > 1 ? `[${String(i.path[1])}]` : ''}: ${i.message}`;
    });
    throw new PosternError('CONFIG_INVALID', `The configuration is not valid: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

/**
 * The OIDC provider behind both sign-ins (the console's and agents'), or null when none is configured; an issuer
 * without a client id (or the reverse) is refused.
 */
export function oidcProvider(config: Config) {
  if (Boolean(config.oidcIssuer) !== Boolean(config.oidcClientId)) {
    throw new PosternError('CONFIG_INVALID', 'Agent sign-in needs both POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID; set both, or neither.');
  }
  if (!config.oidcIssuer || !config.oidcClientId) return null;
  return {
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
    scopes: config.oidcScopes,
    groupsClaim: config.oidcGroupsClaim,
    adminGroups: config.oidcAdminGroups,
    viewerGroups: config.oidcViewerGroups,
  };
}

/** The master key file: explicit, else `master.key` beside the SQLite database, else `./data/master.key`. */
export function masterKeyFileFor(config: Config): string {
  if (config.masterKeyFile) return config.masterKeyFile;
  const m = /^sqlite:(.+)$/.exec(config.databaseUrl);
  if (m && m[1] !== ':memory:') return join(dirname(m[1]!), 'master.key');
  return './data/master.key';
}

export { ENV_NAMES };
