/**
 * The HTTP server: Fastify with one error mapper, request ids, bearer-key authentication on every /v1 route, an
 * OpenAPI document built from the routes' own schemas, and health endpoints.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { DeviceService } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { ApiKeyService, EnrollmentService } from '../keys/index.ts';
import { recordIntegrationState, type Metrics } from '../metrics/index.ts';
import type { Store } from '../store/index.ts';
import type { IntegrationService } from '../sources/index.ts';
import { createAuthenticator, type AuthLimiterOptions, type SessionAuthenticator } from './auth.ts';
import { toHttpError } from './errors.ts';
import { createHotPath } from './hot-path.ts';
import type { DecisionService, GatewayDecider } from '../decide/index.ts';
import { defineRoute } from './route.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerDeviceHistoryRoute } from './routes/device-history.ts';
import { registerDeviceRoutes } from './routes/devices.ts';
import { registerEnrollmentRoutes } from './routes/enrollment.ts';
import type { DeviceLogin } from '../oidc/index.ts';
import { registerIntegrationRoutes } from './routes/integrations.ts';
import { registerVendorRoutes } from './routes/vendors.ts';

export interface ApiDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: Metrics;
  keys: ApiKeyService;
  enrollment: EnrollmentService;
  audit: AuditLog;
  integrations: IntegrationService;
  devices: DeviceService;
  /** Extra route groups (policy, decisions, console) registered by their modules. */
  plugins?: ((app: FastifyInstance, routeDeps: { auth: ReturnType<typeof createAuthenticator> }) => void)[];
  authLimits?: AuthLimiterOptions;
  /** The console's session cookie, accepted in place of a bearer key (src/web). */
  sessions?: SessionAuthenticator;
  version?: string;
  /** POSTERN_TRUSTED_PROXIES: whose X-Forwarded-For names the address an agent connects from. */
  trustedProxies?: readonly string[];
  /** Agent sign-in at the identity provider (absent: not configured). */
  login?: DeviceLogin;
  /** PEM certificate and key: serve HTTPS (POSTERN_TLS_CERT, POSTERN_TLS_KEY). */
  https?: { cert: Buffer; key: Buffer };
  /** With these, ordinary forward-auth and POST /v1/decisions requests take the hot path (hot-path.ts). */
  gateway?: { gateway: GatewayDecider; decisions: Pick<DecisionService, 'decideJson' | 'outcomeJson'> };
}

export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const auth = createAuthenticator(deps.keys, deps.clock, deps.authLimits, deps.sessions);
  const routeDeps = { auth };
  const hotPath = deps.gateway
    ? createHotPath({ ...deps.gateway, keys: deps.keys, brake: auth.brake, metrics: deps.metrics, ids: deps.ids, logger: deps.logger })
    : null;
  const app = Fastify({
    ...(deps.https ? { https: deps.https } : {}),
    ...(hotPath ? { serverFactory: hotPath.serverFactory(deps.https) } : {}),
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: () => deps.ids('req'),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 300 },
    ajv: { customOptions: { strict: false } },
    // Requests too broken to parse as HTTP still get the error envelope, not the framework's own body.
    clientErrorHandler: (_err, socket) => {
      if (!socket.writable) return socket.destroy();
      const body = JSON.stringify({
        error: { code: 'VALIDATION_FAILED', message: 'The HTTP request is malformed (check header values for line breaks).', requestId: deps.ids('req') },
      });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  }) as unknown as FastifyInstance;

  // Validation is done by zod in each route (one place that names fields well); the JSON Schemas on the routes
  // feed the OpenAPI document only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));

  app.addContentTypeParser(['text/plain', 'application/hujson'], { parseAs: 'string', bodyLimit: 2 * BODY_LIMIT_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
  });

  // Every device sub-resource (`/v1/devices/{id}/…`, whichever module registers it) answers 404 for a device that
  // does not exist, never an empty list. Runs after authentication (route onRequest) and before the handler; an id
  // of the wrong shape is left to the route's own validation (400).
  app.addHook('preHandler', async (request) => {
    const url = request.routeOptions.url;
    if (!url?.startsWith('/v1/devices/:id/')) return;
    const id = (request.params as { id?: unknown }).id;
    if (typeof id === 'string' && /^dev_[A-Za-z0-9_-]{1,64}$/.test(id)) await deps.devices.get(id);
  });

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err, String(request.id));
    if (mapped.unexpected) request.log.error({ err }, 'unexpected error');
    reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const mapped = toHttpError(
      new PosternError('NOT_FOUND', `No endpoint ${request.method} ${request.url.split('?')[0]}; see /openapi.json for the API.`),
      String(request.id),
    );
    reply.code(404).send(mapped.body);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'postern', version: deps.version ?? '0.1.0', description: 'Device posture from EDR vendors, decided by policy.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'postern_session' } } },
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.store.db.selectFrom('postern_migrations' as never).select('name' as never).limit(1).execute();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not ready', reason: 'the database does not answer' });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  defineRoute(app, routeDeps, {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (HTTP, syncs, decisions, integration states)',
    tags: ['operations'],
    roles: ['admin', 'viewer', 'gateway'],
    handler: async ({ reply }) => {
      // States as of now: `overdue` and `syncing` (another process's lease) are only known when asked.
      for (const i of await deps.integrations.list()) recordIntegrationState(deps.metrics, i.id, i.status.state);
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  });

  registerIntegrationRoutes(app, { ...routeDeps, integrations: deps.integrations });
  registerVendorRoutes(app, routeDeps);
  registerDeviceRoutes(app, { ...routeDeps, devices: deps.devices, integrations: deps.integrations, enrollment: deps.enrollment });
  registerDeviceHistoryRoute(app, { ...routeDeps, devices: deps.devices, integrations: deps.integrations, audit: deps.audit, store: deps.store, clock: deps.clock });
  registerAdminRoutes(app, { ...routeDeps, audit: deps.audit, keys: deps.keys, store: deps.store });
  registerEnrollmentRoutes(app, {
    ...routeDeps,
    devices: deps.devices,
    enrollment: deps.enrollment,
    trustedProxies: deps.trustedProxies ?? [],
    ...(deps.login ? { login: deps.login } : {}),
  });
  for (const plugin of deps.plugins ?? []) plugin(app, routeDeps);

  await app.ready();
  return app;
}
