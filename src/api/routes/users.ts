/**
 * `GET /v1/users`: users with their risk level, a page at a time (`limit`, `cursor` → `nextCursor`), filtered by a
 * part of the email (`q`) and by level (`riskLevel`, one or several comma-separated), so 20,000 users stay usable.
 * Registered with the risk routes, whose service computes the levels.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RiskService } from '../../risk/index.ts';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { pageQuery } from '../schemas.ts';

export const USER_RISK_LEVELS = ['none', 'low', 'medium', 'high'] as const;

const listQuery = pageQuery.extend({
  q: z.string().trim().max(254).optional().describe('Only users whose email contains this text (case-insensitive)'),
  riskLevel: z
    .string()
    .regex(new RegExp(`^(${USER_RISK_LEVELS.join('|')})(,(${USER_RISK_LEVELS.join('|')}))*$`), {
      message: `must be one or more of ${USER_RISK_LEVELS.join(', ')}, comma-separated (e.g. high,medium)`,
    })
    .optional()
    .describe('Only users at these levels, comma-separated'),
});

export interface UserRow {
  email: string;
  level: string;
}

const encodeCursor = (email: string) => Buffer.from(email, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const email = Buffer.from(cursor, 'base64url').toString('utf8');
  return email;
}

/** One page of users sorted by email, after the cursor's email, matching the filters (pure). */
export function pageOfUsers<U extends UserRow>(users: readonly U[], query: { limit: number; cursor?: string | undefined; q?: string | undefined; riskLevel?: string | undefined }) {
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const needle = query.q?.toLowerCase() ?? '';
  const levels = query.riskLevel ? new Set(query.riskLevel.split(',')) : null;
  const matching = users.filter((u) => (after === null || u.email > after) && (needle === '' || u.email.includes(needle)) && (levels === null || levels.has(u.level)));
  const data = matching.slice(0, query.limit);
  const more = matching.length > query.limit;
  return { data, nextCursor: more ? encodeCursor(data[data.length - 1]!.email) : null };
}

export function registerUserListRoute(app: FastifyInstance, deps: RouteDeps & { risk: RiskService }) {
  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/users',
    summary: 'Users (of a device, or with risk events in the window) with their risk level, by email; filters q and riskLevel; cursor pagination',
    tags: ['risk'],
    roles: READ,
    query: listQuery,
    handler: async ({ query }) => {
      const all = await deps.risk.users();
      const sorted = [...all.data].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
      return { ...pageOfUsers(sorted, query), windowDays: all.windowDays };
    },
  });
}
