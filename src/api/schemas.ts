/** Building blocks for request schemas: bounded strings without control characters, ids, IPs, tags, paging. */
import { parseIp } from '../lib/ip.ts';
import { z } from 'zod';
import { canonicalOs } from '../devices/index.ts';
import { isValidDestination } from '../policy/index.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A trimmed string of 1..max characters with no control characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' });

export const idParam = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{1,40}$`), { message: `must be ${what} id like ${prefix}_…` });

/** Checked by the one IP parser policies, forward-auth and POSTERN_TRUSTED_PROXIES use (lib/ip.ts). */
export const ipAddress = z.string({ error: 'must be an IPv4 or IPv6 address' }).refine((s) => parseIp(s) !== null, { message: 'must be an IPv4 or IPv6 address' });

export const tag = z.string().regex(/^tag:[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, { message: 'must be tag:<name> (letters, digits, - and _)' });

/** A destination to decide about: trimmed, 1 to 300 characters, a tag, host, IP or CIDR (optionally with a port). */
export const destination = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((s) => isValidDestination(s), {
    message: 'must be a destination: tag:<name>, a host name, an IP address or CIDR, optionally with :port',
  });

/** The destination `text` names (trimmed), or null when the `destination` schema would refuse it. */
export function destinationOf(text: string): string | null {
  const parsed = destination.safeParse(text);
  return parsed.success ? parsed.data : null;
}

export const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time like 2026-01-31T12:00:00Z' });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional(),
});

/** An EDR agent UUID, with or without its dashes (stored as 32 lower-case hex digits). */
export const agentUuidField = z
  .string()
  .trim()
  .regex(/^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$/, { message: 'must be an agent UUID (32 hex digits)' });

/**
 * An OS name as a person would type it (`macOS`, `Windows`, `darwin`, `win32`, `GNU/Linux`, …), stored as the
 * canonical lower-case name `node:os` compares against (`macos`, `windows`, `linux`, `ios`, `android`, …).
 */
export const osName = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const os = canonicalOs(s);
    if (os === null) ctx.addIssue({ code: 'custom', message: 'must be an OS name like macOS, Windows, Linux, iOS or Android' });
    return os ?? '';
  });
