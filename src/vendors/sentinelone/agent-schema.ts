/**
 * Reading agent pages as SentinelOne actually sends them. The envelope must be right or the whole page is
 * unusable (S1_MALFORMED_RESPONSE). Inside a good envelope, one unreadable agent is left out and counted, never
 * fatal: a fleet of thousands must not stop syncing because of one odd record.
 *
 * Quirks handled: booleans sent as the strings "True"/"False" by older consoles; `serialNumber` absent or null;
 * timestamps with or without microseconds (normalised to `toISOString()` form; the exact text stays in `raw`);
 * unknown fields kept in `raw`. IDs must be strings: S1's IDs overflow JavaScript numbers, so a numeric ID has
 * already lost digits and is refused rather than guessed.
 */
import { z } from 'zod';
import type { AgentPageResult, S1Agent } from './types.ts';
import { malformedResponse, type S1ErrorContext } from './errors.ts';
import { normalizeS1Timestamp } from './timestamps.ts';

const boolish = z
  .union([z.boolean(), z.enum(['True', 'False', 'true', 'false'])], {
    error: 'expected a boolean (or "True"/"False")',
  })
  .transform((v) => (typeof v === 'boolean' ? v : v.toLowerCase() === 'true'));

const optionalBool = boolish.nullish().transform((v) => v ?? null);
const optionalString = z.string().nullish().transform((v) => v ?? null);
/** An S1 ID as text; "" means none. */
const optionalId = z
  .string({ error: 'expected an ID string' })
  .nullish()
  .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()));
const optionalCount = z.number().int().nonnegative().nullish().transform((v) => v ?? null);
const optionalTimestamp = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v.trim() === '') return null;
    const iso = normalizeS1Timestamp(v);
    if (iso === null) {
      ctx.addIssue({ code: 'custom', message: `not an ISO-8601 timestamp: ${JSON.stringify(v.slice(0, 40))}` });
      return z.NEVER;
    }
    return iso;
  });

/** One agent record: the fields postern reads. Everything else passes through to `raw`. */
export const agentRecordSchema = z.object({
  id: z
    .string({ error: (issue) => (issue.input === undefined ? 'missing' : 'expected an ID string') })
    .trim()
    .min(1, 'empty'),
  uuid: optionalString,
  computerName: optionalString,
  serialNumber: optionalString,
  osType: optionalString,
  osName: optionalString,
  machineType: optionalString,
  agentVersion: optionalString,
  operationalState: optionalString,
  activeThreats: optionalCount,
  encryptedApplications: optionalBool,
  firewallEnabled: optionalBool,
  infected: optionalBool,
  isActive: optionalBool,
  isDecommissioned: optionalBool,
  networkStatus: optionalString,
  threatRebootRequired: optionalBool,
  lastActiveDate: optionalTimestamp,
  updatedAt: optionalTimestamp,
  createdAt: optionalTimestamp,
  siteId: optionalId,
  accountId: optionalId,
});

export type AgentParseResult = { ok: true; agent: S1Agent } | { ok: false; reason: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
}

/** Validates one record. `raw` is the record itself, unchanged. */
export function parseAgent(record: unknown): AgentParseResult {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, reason: 'not an object' };
  }
  const parsed = agentRecordSchema.safeParse(record);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  return { ok: true, agent: { ...parsed.data, macAddresses: interfaceMacs(record), raw: record as Record<string, unknown> } };
}

/** The `physical` address of each network interface, skipping anything that is not a non-empty string. */
function interfaceMacs(record: object): string[] {
  const list = (record as { networkInterfaces?: unknown }).networkInterfaces;
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const nic of list.slice(0, 64)) {
    const mac = nic && typeof nic === 'object' ? (nic as { physical?: unknown }).physical : undefined;
    if (typeof mac === 'string' && mac.trim() !== '' && mac.length <= 64) out.push(mac.trim());
  }
  return out;
}

const envelopeSchema = z.object({
  data: z.array(z.unknown(), { error: 'data is not an array' }),
  pagination: z.object(
    {
      nextCursor: z.string({ error: 'pagination.nextCursor is not a string or null' }).nullish(),
      totalItems: z.number({ error: 'pagination.totalItems is not a number' }).int().nonnegative().nullish(),
    },
    { error: 'pagination is missing' },
  ),
});

/** How many skip reasons a page reports (the count itself is exact). */
const MAX_SKIP_REASONS = 5;

/**
 * Validates a `GET /agents` body. Throws an `S1Error` (kind 'malformed') when the envelope is wrong; skips and
 * counts agents that fail validation. `nextCursor` is null on the last page, whether S1 sent null, "" or nothing.
 */
export function parseAgentPage(
  json: unknown,
  ctx: S1ErrorContext = { operation: 'listing agents (GET /web/api/v2.1/agents)' },
): AgentPageResult {
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const reason =
      typeof json !== 'object' || json === null || Array.isArray(json)
        ? 'the body is not a JSON object'
        : (issue?.message ?? 'unexpected shape');
    throw malformedResponse(`agent page envelope: ${reason}`, ctx);
  }
  const agents: S1Agent[] = [];
  const skippedReasons: string[] = [];
  let skipped = 0;
  envelope.data.data.forEach((record, index) => {
    const result = parseAgent(record);
    if (result.ok) {
      agents.push(result.agent);
      return;
    }
    skipped++;
    if (skippedReasons.length < MAX_SKIP_REASONS) {
      const id = (record as { id?: unknown } | null)?.id;
      const label = typeof id === 'string' ? `agent ${id}` : `agent #${index + 1} on the page`;
      skippedReasons.push(`${label}: ${result.reason}`);
    }
  });
  const { nextCursor, totalItems } = envelope.data.pagination;
  return {
    agents,
    skipped,
    skippedReasons,
    totalItems: totalItems ?? null,
    nextCursor: nextCursor === undefined || nextCursor === null || nextCursor === '' ? null : nextCursor,
  };
}
