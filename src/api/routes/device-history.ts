/**
 * `GET /v1/devices/{id}/history`: when each of a device's attributes changed, rebuilt from the audit trail, with
 * "unhealthy since" and the current values that are stale now. Read-only; the console's device page and
 * `postern devices history` show it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildDeviceHistory, type AuditEvent, type AuditLog } from '../../audit/index.ts';
import { isFreshnessStale, type DeviceService } from '../../devices/index.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Store } from '../../store/index.ts';
import type { IntegrationService } from '../../sources/index.ts';
import { UNHEALTHY_VALUES, VENDOR_PROFILES } from '../../vendors/index.ts';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam } from '../schemas.ts';

/** The newest events read per request; older changes are reported as cut off. */
const MAX_EVENTS = 5000;

export interface DeviceHistoryDeps extends RouteDeps {
  devices: Pick<DeviceService, 'get'>;
  integrations: Pick<IntegrationService, 'list'>;
  audit: Pick<AuditLog, 'list'>;
  store: Store;
  clock: Clock;
}

export function registerDeviceHistoryRoute(app: FastifyInstance, deps: DeviceHistoryDeps): void {
  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/history',
    summary: "A device's attribute changes from the audit trail (oldest first), unhealthy since when, and which values are stale now",
    tags: ['devices'],
    roles: READ,
    params: z.strictObject({ id: idParam('dev', 'a device') }),
    handler: async ({ params }) => {
      const device = await deps.devices.get(params.id);
      const events: AuditEvent[] = [];
      let cursor: string | null = null;
      do {
        const page = await deps.audit.list(deps.store.db, { target: device.id, limit: 1000, cursor });
        events.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor && events.length < MAX_EVENTS);
      const now = deps.clock.nowMs();
      const integrations = await deps.integrations.list();
      const stale = new Set(integrations.filter((i) => isFreshnessStale({ lastSuccessfulSyncAt: i.status.lastSuccessfulSyncAt, staleAfterSeconds: i.staleAfterSeconds }, now)).map((i) => i.id));
      // A vendor with no integration judges nobody: its `<namespace>:verified` says nothing about this device's health.
      const inUse = new Set(VENDOR_PROFILES.filter((v) => integrations.some((i) => i.provider === v.provider)).map((v) => v.namespace));
      const current: Record<string, { value: string | number | boolean; source: string; updatedAt: string }> = { ...device.attributes };
      for (const v of VENDOR_PROFILES) if (!inUse.has(v.namespace)) delete current[`${v.namespace}:verified`];
      // Each vendor's verdict is judged now, never stored: shown as `<namespace>:verified` beside the stored values.
      for (const [namespace, verification] of Object.entries(device.verification ?? {})) {
        const key = `${namespace}:verified`;
        if (inUse.has(namespace) && !current[key]) current[key] = { value: verification.verified, source: 'derived', updatedAt: new Date(now).toISOString() };
      }
      return buildDeviceHistory({ deviceId: device.id, events, current, staleSources: stale, unhealthy: UNHEALTHY_VALUES, truncated: cursor !== null });
    },
  });
}
