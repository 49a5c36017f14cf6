/**
 * Declares an API route in one place: its roles, its zod-validated body/query/path, and its OpenAPI entry (built
 * from the same schemas). Handlers receive parsed input and the caller; they return the response body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal, Role } from '../keys/index.ts';
import type { Authenticator } from './auth.ts';
import { jsonSchemaOf, parseInput } from './validation.ts';

const principals = new WeakMap<FastifyRequest, Principal>();

export const READ: readonly Role[] = ['admin', 'viewer'];
export const ADMIN: readonly Role[] = ['admin'];

export interface HandlerContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  principal: Principal;
  requestId: string;
  /** For the audit log. */
  by: { actor: string; requestId: string };
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tags: string[];
  roles: readonly Role[];
  body?: B;
  query?: Q;
  params?: P;
  /** HTTP status of a successful answer (default 200). */
  status?: number;
  /** Content types the body may have (default JSON). */
  consumes?: string[];
  /** Replaces API-key authentication, for routes that take other credentials (enrollment keys, device tokens). */
  authenticate?: (request: FastifyRequest) => Promise<Principal>;
  handler: (ctx: HandlerContext<z.output<B>, z.output<Q>, z.output<P>>) => Promise<unknown>;
}

export interface RouteDeps {
  auth: Authenticator;
}

export function defineRoute<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
  app: FastifyInstance,
  deps: RouteDeps,
  spec: RouteSpec<B, Q, P>,
): void {
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      summary: spec.summary,
      tags: spec.tags,
      security: spec.authenticate ? [{ bearer: [] }] : [{ bearer: [] }, { session: [] }],
      ...(spec.body ? { body: jsonSchemaOf(spec.body) } : {}),
      ...(spec.query ? { querystring: jsonSchemaOf(spec.query) } : {}),
      ...(spec.params ? { params: jsonSchemaOf(spec.params) } : {}),
      ...(spec.consumes ? { consumes: spec.consumes } : {}),
    },
    config: { roles: spec.roles },
    // Authentication runs before the body is read, so an anonymous caller learns nothing from body errors.
    onRequest: async (request) => {
      principals.set(
        request,
        spec.authenticate ? await spec.authenticate(request) : await deps.auth.authenticateRequest(request, spec.roles),
      );
    },
    handler: async (request, reply) => {
      const principal = principals.get(request)!;
      const params = (spec.params ? parseInput(spec.params, request.params, 'params') : undefined) as z.output<P>;
      const query = (spec.query ? parseInput(spec.query, request.query, 'query') : undefined) as z.output<Q>;
      const body = (spec.body ? parseInput(spec.body, request.body, 'body') : undefined) as z.output<B>;
      // Set before the handler runs, so a handler whose answer decides the status (forward-auth) may change it.
      reply.code(spec.status ?? 200);
      const result = await spec.handler({
        body,
        query,
        params,
        principal,
        requestId: request.id,
        by: { actor: principal.actor, requestId: request.id },
        request,
        reply,
      });
      if (result === undefined) return reply.send();
      return result;
    },
  });
}
