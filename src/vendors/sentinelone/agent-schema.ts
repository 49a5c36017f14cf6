/**
 * Reading agent pages as SentinelOne actually sends them. The envelope must be right or the whole page is
 * unusable (S1_MALFORMED_RESPONSE). Inside a good envelope, one unreadable agent is left out and counted, never
 * fatal: a fleet of thousands must not stop syncing because of one odd record (`agent-record.ts` reads each one).
 */
import { z } from 'zod';
import type { AgentPageResult, S1Agent } from './types.ts';
import { parseAgent } from './agent-record.ts';
import { malformedResponse, type S1ErrorContext } from './errors.ts';

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
