/**
 * Decisions: "may this device reach this destination?" for a device id, an address or a user, answered 200 with
 * the explained decision whether it allows or denies; and the decision log, newest first, with filters.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { DECIDE_ROLES, DECISIONS_PATH, type DecisionLog, type DecisionQuery, type DecisionService } from '../../decide/index.ts';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { parseInput } from '../validation.ts';
import { destination, idParam, ipAddress, isoTime } from '../schemas.ts';



const decisionBody = z
  .strictObject({
    device: idParam('dev', 'a device').optional(),
    address: ipAddress.optional(),
    user: z.email({ error: 'must be an email address' }).max(254).optional(),
    dst: destination,
  })
  .refine((b) => [b.device, b.address, b.user].filter((v) => v !== undefined).length === 1, {
    message: 'must name exactly one of device, address or user',
  });

function toQuery({ dst, device, address, user }: z.output<typeof decisionBody>): DecisionQuery {
  return device !== undefined ? { device, dst } : address !== undefined ? { address, dst } : { user: user as string, dst };
}

/** What a POST /v1/decisions body asks, validated by the route's own schema (for the hot path, which reads it itself). */
export function decisionQueryOf(body: unknown): DecisionQuery {
  return toQuery(parseInput(decisionBody, body, 'body'));
}

const logQuery = z.strictObject({
  device: idParam('dev', 'a device').optional(),
  outcome: z.enum(['allow', 'deny'], { error: 'must be allow or deny' }).optional(),
  since: isoTime.optional(),
  requestId: idParam('req', 'a request').optional(),
  via: z.enum(['api', 'forward-auth'], { error: 'must be api or forward-auth' }).optional(),
  wouldDeny: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(100).optional(),
});

export function registerDecisionRoutes(app: FastifyInstance, deps: RouteDeps & { decisions: DecisionService; decisionLog: DecisionLog; clock: Clock }) {
  const tags = ['decisions'];

  defineRoute(app, deps, {
    method: 'POST',
    url: DECISIONS_PATH,
    summary:
      'Decide whether a device (by id, address or user) may reach a destination; 200 for allow and deny alike. Admin and viewer keys get ' +
      'the explanation (reasons with values, grant, postures, device); a gateway key gets the outcome only: ' +
      '{allow, wouldDeny, reasons: [codes], requestId, device: {id}}',
    tags,
    roles: DECIDE_ROLES,
    body: decisionBody,
    handler: async ({ body, principal, requestId, reply }) => {
      // Already JSON: most of the answer is its explanation, serialised once per decision postern keeps.
      reply.type('application/json; charset=utf-8');
      const ctx = { via: 'api' as const, actor: principal.actor, requestId };
      // A gateway learns the outcome, never the policy's inputs (user, attribute values, risk level, postures).
      return principal.role === 'gateway' ? deps.decisions.outcomeJson(toQuery(body), ctx) : deps.decisions.decideJson(toQuery(body), ctx);
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/decisions/log',
    summary:
      'The decision log, newest first (filters: device, outcome, since, requestId, via, wouldDeny; cursor pagination). Denials and ' +
      'would-denies are rows of their own with their request id and full explanation; with POSTERN_DECISION_LOG=summary (the default) ' +
      'allowed decisions are one row per device, user, destination, policy version and caller per minute with count, firstRequestId, ' +
      'lastRequestId, from and to (a row without count counts 1); requestId finds a summary by its first or last request.',
    tags,
    roles: READ,
    query: logQuery,
    handler: ({ query }) => deps.decisionLog.list({ ...query, cursor: query.cursor ?? null }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/decisions/would-deny',
    summary:
      'Evidence before enforcing: how many decisions since `since` (default 7 days ago) were allowed only because a posture is ' +
      'report-only, and which devices (would-denies are rows of their own in every log mode, so the counts hold over days)',
    tags,
    roles: READ,
    query: z.strictObject({ since: isoTime.optional() }),
    handler: ({ query }) => deps.decisionLog.wouldDenySummary(query.since ?? new Date(deps.clock.nowMs() - 7 * 24 * 3600 * 1000).toISOString()),
  });
}
