import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeviceService } from '../../devices/index.ts';
import type { EnrollmentService } from '../../keys/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { vendorCatalogue } from '../vendor-catalogue.ts';
import { agentUuidField, idParam, ipAddress, isoTime, osName as os, pageQuery, tag, text } from '../schemas.ts';

const user = z.email({ error: 'must be an email address' }).max(254);

const fields = {
  name: text(200),
  os,
  osVersion: text(64).nullable(),
  serialNumbers: z.array(text(128)).max(16),
  addresses: z.array(ipAddress).max(32),
  macAddresses: z.array(z.string().regex(/^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/, { message: 'must be MAC addresses like 3c:22:fb:12:34:56' })).max(32),
  s1AgentUuid: agentUuidField.nullable(),
  user: user.nullable(),
  tags: z.array(tag).max(64),
};

const createBody = z.strictObject({
  name: fields.name,
  os: fields.os,
  osVersion: fields.osVersion.optional(),
  serialNumbers: fields.serialNumbers.default([]),
  addresses: fields.addresses.default([]),
  macAddresses: fields.macAddresses.default([]),
  s1AgentUuid: fields.s1AgentUuid.optional(),
  user: fields.user.optional(),
  tags: fields.tags.default([]),
});

const patchBody = z.strictObject({
  name: fields.name.optional(),
  os: fields.os.optional(),
  osVersion: fields.osVersion.optional(),
  serialNumbers: fields.serialNumbers.optional(),
  addresses: fields.addresses.optional(),
  macAddresses: fields.macAddresses.optional(),
  s1AgentUuid: fields.s1AgentUuid.optional(),
  user: fields.user.optional(),
  tags: fields.tags.optional(),
});

const params = z.strictObject({ id: idParam('dev', 'a device') });
const listQuery = pageQuery.extend({
  awaitingApproval: z.enum(['true', 'false']).optional(),
  conflicts: z.enum(['true', 'false']).optional(),
  /** Name, user, claimed user or tag containing it (any case), or a serial equal to it. */
  q: text(200).optional(),
});
const attributeParams = z.strictObject({
  id: idParam('dev', 'a device'),
  key: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_]{1,128}$/, { message: 'must be an attribute key like custom:tier' }),
});
const attributeBody = z.strictObject({
  value: z.union([text(256), z.number().finite(), z.boolean()], { error: 'must be a string (up to 256 characters), a number or a boolean' }),
  expiresAt: isoTime.nullable().optional(),
});

/**
 * Only admins create devices here, with tags, user and addresses; agents enroll through POST /v1/enroll, where the
 * devices service decides what a device may say about itself.
 */
const providerNames = vendorCatalogue().map((v) => v.provider) as [string, ...string[]];
const sourceParams = z.strictObject({
  id: idParam('dev', 'a device'),
  provider: z.enum(providerNames, { error: `must be one of ${providerNames.join(', ')}` }),
});

/** Which vendor each integration is, for a device's records of one vendor. */
export interface IntegrationProviders {
  list(): Promise<{ id: string; provider: string }[]>;
}

export function registerDeviceRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { devices: DeviceService; integrations: IntegrationProviders; enrollment: Pick<EnrollmentService, 'rotateDeviceTokens' | 'revokeDeviceTokens'> },
) {
  const { devices, enrollment } = deps;
  const tags = ['devices'];

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/devices',
    summary: 'Add a device to the inventory (admin; agents enroll with POST /v1/enroll)',
    tags,
    roles: ADMIN,
    body: createBody,
    status: 201,
    handler: ({ body, by }) => devices.create(body, by),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices',
    summary:
      'List devices with attributes and verification (cursor pagination; ?awaitingApproval=true: only devices with a claimed user or pending serial; ?conflicts=true: only devices whose pending claims wait on a conflict, listed in each device\'s `conflicts`; ?q=: name, user or tag containing it, or that serial)',
    tags,
    roles: READ,
    query: listQuery,
    handler: ({ query }) =>
      devices.list(query.limit, query.cursor ?? null, {
        awaitingApproval: query.awaitingApproval === 'true',
        conflicts: query.conflicts === 'true',
        ...(query.q ? { search: query.q } : {}),
      }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id',
    summary: 'One device with attributes, how it was matched and why it is or is not verified',
    tags,
    roles: READ,
    params,
    handler: ({ params }) => devices.get(params.id),
  });

  defineRoute(app, deps, {
    method: 'PATCH',
    url: '/v1/devices/:id',
    summary: 'Change a device',
    tags,
    roles: ADMIN,
    params,
    body: patchBody,
    handler: ({ params, body, by }) => devices.update(params.id, body, by),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/devices/:id',
    summary: 'Remove a device',
    tags,
    roles: ADMIN,
    params,
    status: 204,
    handler: async ({ params, by }) => void (await devices.remove(params.id, by)),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/attributes',
    summary: "A device's attributes, Tailscale-style: values and expiries",
    tags,
    roles: READ,
    params,
    handler: async ({ params }) => {
      const view = await devices.get(params.id);
      const attributes: Record<string, unknown> = {};
      const expiries: Record<string, string> = {};
      for (const [key, attr] of Object.entries(view.attributes)) {
        attributes[key] = attr.value;
        if (attr.expiresAt) expiries[key] = attr.expiresAt;
      }
      return { attributes, expiries };
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/attributes/:key',
    summary: 'One attribute with its source and time',
    tags,
    roles: READ,
    params: attributeParams,
    handler: ({ params }) => devices.getAttribute(params.id, params.key),
  });

  defineRoute(app, deps, {
    method: 'PUT',
    url: '/v1/devices/:id/attributes/:key',
    summary: 'Write a custom:* attribute (other namespaces are read-only)',
    tags,
    roles: ADMIN,
    params: attributeParams,
    body: attributeBody,
    handler: ({ params, body, by }) => devices.putCustomAttribute(params.id, params.key, body.value, body.expiresAt ?? null, by),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/devices/:id/attributes/:key',
    summary: 'Remove a custom:* attribute',
    tags,
    roles: ADMIN,
    params: attributeParams,
    status: 204,
    handler: async ({ params, by }) => void (await devices.deleteCustomAttribute(params.id, params.key, by)),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/sources/:provider',
    summary: "The device's matched records of one EDR vendor (provider, as GET /v1/vendors names it) exactly as the vendor sent them, and how each matched",
    tags,
    roles: READ,
    params: sourceParams,
    handler: async ({ params }) => {
      const [sources, integrations] = await Promise.all([devices.sources(params.id), deps.integrations.list()]);
      const ofProvider = new Set(integrations.filter((i) => i.provider === params.provider).map((i) => i.id));
      return { data: sources.filter((s) => ofProvider.has(s.integrationId)) };
    },
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/devices/:id/approve-user',
    summary: 'Accept the user the device claimed (claimedUser) as its user',
    tags,
    roles: ADMIN,
    params,
    handler: ({ params, by }) => devices.approveUser(params.id, by),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/devices/:id/approve-serials',
    summary: "Accept the serials the device named (pendingSerials); they match EDR vendors' records from the next sync",
    tags,
    roles: ADMIN,
    params,
    handler: ({ params, by }) => devices.approveSerials(params.id, by),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/devices/:id/tokens/rotate',
    summary: "Rotate the device's report and presence tokens: its agent receives new ones with its next report, and the old ones stop working then",
    tags,
    roles: ADMIN,
    params,
    status: 202,
    handler: async ({ params, by }) => {
      await devices.get(params.id);
      return enrollment.rotateDeviceTokens(params.id, by);
    },
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/devices/:id/tokens',
    summary: "Revoke the device's report and presence tokens at once (effective on the next request); the device must enroll again",
    tags,
    roles: ADMIN,
    params,
    status: 204,
    handler: async ({ params, by }) => {
      await devices.get(params.id);
      await enrollment.revokeDeviceTokens(params.id, by);
    },
  });
}
