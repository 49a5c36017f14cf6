/**
 * Device inventory: create, read, update and delete devices and their admin-written `custom:*` attributes. Admin
 * writes and the agents' enrollments and reports (`identity.ts`) share one set of rules: serials are unique
 * (checked in the write's transaction, with a UNIQUE index behind it), an address identifies one device only.
 */
import { normalizeMac } from './mac.ts';
import type { AttributeValue, StoredAttribute } from '../lib/attributes.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, PosternError, validationError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Executor, Store } from '../store/index.ts';
import { adminSerials, agentUuidKey, type AddressRow } from './identity-rules.ts';
import { auditBase, createIdentityWrites, refuseTaken, settleClaims, usableSerials, writeTransaction, type Actor, type DeviceChangeHook } from './identity.ts';
import { chunks } from '../lib/chunks.ts';
import type { DeviceRepo } from './repo.ts';
import { createSourceWrites } from './source-writes.ts';
import type { Device, DeviceInput, DevicePatch, DeviceSource, DeviceView } from './types.ts';
import type { VendorVerifier, VerifyingIntegration } from './verification.ts';
import { buildDeviceView, liveAttributes } from './view.ts';

export interface DeviceServiceDeps {
  store: Store;
  repo: DeviceRepo;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditLog, 'record'>;
  /** Every EDR integration's freshness, for verification. */
  integrations: { listForVerification(db: Executor): Promise<VerifyingIntegration[]> };
  /** The registered vendors' health rules (from the composition root); none given, no `<ns>:verified`. */
  vendors?: readonly VendorVerifier[];
  /** Told after every committed device write. */
  onChange?: DeviceChangeHook;
}

export type { Actor };

const adminAddresses = (addresses: readonly string[]): AddressRow[] => [...new Set(addresses)].map((address) => ({ address, source: 'admin' }));

export const CUSTOM_KEY_PATTERN = /^custom:[A-Za-z0-9_]{1,128}$/;

export function createDeviceService(deps: DeviceServiceDeps) {
  const { store, repo, clock } = deps;

  async function views(db: Executor, devices: Device[]): Promise<DeviceView[]> {
    const ids = devices.map((d) => d.id);
    const [attrs, sources, integrations, identity] = await Promise.all([
      repo.attributesOf(db, ids),
      repo.sourcesOf(db, ids),
      deps.integrations.listForVerification(db),
      repo.identityRows(db, ids),
    ]);
    // Who holds each pending serial approved now, so a claim's conflict is shown as it stands.
    const pending = [...new Set(devices.flatMap((d) => d.pendingSerials))];
    const holders = new Map<string, string>();
    for (const part of chunks(pending, 500)) for (const h of await repo.serialHolders(db, part, null)) if (h.status === 'approved') holders.set(h.serial, h.deviceId);
    const now = clock.nowMs();
    return devices.map((d) => {
      const rows = identity.get(d.id) ?? { serials: [], addresses: [] };
      return buildDeviceView(d, attrs.get(d.id), sources.get(d.id) ?? [], integrations, now, { ...rows, heldElsewhere: holders }, deps.vendors ?? []);
    });
  }

  async function mustGet(db: Executor, id: string): Promise<Device> {
    const device = await repo.get(db, id);
    if (!device) throw notFound('Device', id);
    return device;
  }

  const identityDeps = { store, repo, clock, ids: deps.ids, audit: deps.audit, views, mustGet, ...(deps.onChange ? { onChange: deps.onChange } : {}) };

  return {
    ...createIdentityWrites(identityDeps),
    ...createSourceWrites(identityDeps),

    /** Adds a device as an admin: its serials are approved and its addresses identify it. */
    async create(input: DeviceInput, by: Actor): Promise<DeviceView> {
      const now = clock.now().toISOString();
      const serials = adminSerials(usableSerials(input.serialNumbers ?? []));
      const addresses = adminAddresses(input.addresses ?? []);
      const device: Device = {
        id: deps.ids('dev'),
        name: input.name,
        os: input.os,
        osVersion: input.osVersion ?? null,
        serialNumbers: dedupe(input.serialNumbers ?? []),
        pendingSerials: [],
        addresses: addresses.map((a) => a.address),
        reportedAddresses: [],
        macAddresses: macList(input.macAddresses ?? []),
        s1AgentUuid: agentUuid(input.s1AgentUuid),
        user: input.user?.toLowerCase() ?? null,
        claimedUser: null,
        tags: dedupe(input.tags ?? []),
        source: input.source ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await writeTransaction(store, async (tx) => {
        await refuseTaken(tx, repo, serials, addresses, null);
        await repo.insert(tx, device, { addresses, serials });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.create', target: device.id, after: device });
        await settleClaims(tx, repo, deps.audit, by, device.id, [], serials);
      });
      await deps.onChange?.(device.id, 'create');
      return (await views(store.db, [device]))[0]!;
    },

    async get(id: string): Promise<DeviceView> {
      return (await views(store.db, [await mustGet(store.db, id)]))[0]!;
    },

    async getMany(ids: readonly string[]): Promise<DeviceView[]> {
      const devices = (await Promise.all(ids.map((id) => repo.get(store.db, id)))).filter((d): d is Device => d !== null);
      return views(store.db, devices);
    },

    /** A page of devices; `conflicts`: only those with a pending claim that waits on a conflict; `search`: see the repo's list. */
    async list(limit: number, cursor: string | null, options: { awaitingApproval?: boolean; conflicts?: boolean; search?: string } = {}): Promise<{ data: DeviceView[]; nextCursor: string | null }> {
      const after = cursor ? decodeCursor(cursor) : null;
      const onlyIds = options.conflicts ? await repo.conflictedIds(store.db) : undefined;
      const devices = await repo.list(store.db, limit + 1, after, {
        ...(options.awaitingApproval ? { awaitingApproval: true } : {}),
        ...(onlyIds ? { onlyIds } : {}),
        ...(options.search ? { search: options.search } : {}),
      });
      const page = devices.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: await views(store.db, page),
        nextCursor: devices.length > limit && last ? encodeCursor(last) : null,
      };
    },

    /** Changes a device as an admin: serials given here are approved, addresses identify it, a user set clears a claim. */
    async update(id: string, patch: DevicePatch, by: Actor): Promise<DeviceView> {
      const updated = await writeTransaction(store, async (tx) => {
        const before = await mustGet(tx, id);
        const serials = patch.serialNumbers !== undefined ? adminSerials(usableSerials(patch.serialNumbers)) : undefined;
        const addresses = patch.addresses !== undefined ? adminAddresses(patch.addresses) : undefined;
        const after: Device = {
          ...before,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.os !== undefined ? { os: patch.os } : {}),
          ...(patch.osVersion !== undefined ? { osVersion: patch.osVersion } : {}),
          ...(patch.serialNumbers !== undefined ? { serialNumbers: dedupe(patch.serialNumbers), pendingSerials: [] } : {}),
          ...(addresses !== undefined ? { addresses: addresses.map((a) => a.address), reportedAddresses: [] } : {}),
          ...(patch.user !== undefined ? { user: patch.user?.toLowerCase() ?? null, claimedUser: null } : {}),
          ...(patch.tags !== undefined ? { tags: dedupe(patch.tags) } : {}),
          ...(patch.macAddresses !== undefined ? { macAddresses: macList(patch.macAddresses), macSources: {} } : {}),
          // An admin's UUID settles the agent's claim when it is the same one.
          ...(patch.s1AgentUuid !== undefined
            ? {
                s1AgentUuid: agentUuid(patch.s1AgentUuid),
                reportedS1AgentUuid: before.reportedS1AgentUuid === agentUuid(patch.s1AgentUuid) ? null : (before.reportedS1AgentUuid ?? null),
              }
            : {}),
          updatedAt: clock.now().toISOString(),
        };
        await refuseTaken(tx, repo, serials ?? [], addresses ?? [], id);
        const serialsBefore = serials ? await repo.serialRows(tx, id) : [];
        await repo.update(tx, after, { ...(serials ? { serials } : {}), ...(addresses ? { addresses } : {}) });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.update', target: id, before, after });
        if (serials) await settleClaims(tx, repo, deps.audit, by, id, serialsBefore, serials);
        return after;
      });
      await deps.onChange?.(id, 'update');
      return (await views(store.db, [updated]))[0]!;
    },

    async remove(id: string, by: Actor): Promise<void> {
      await store.transaction(async (tx) => {
        const before = await mustGet(tx, id);
        await repo.remove(tx, id);
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.delete', target: id, before });
      });
      await deps.onChange?.(id, 'remove');
    },

    async getAttribute(id: string, key: string): Promise<StoredAttribute> {
      const view = await this.get(id);
      const attr = view.attributes[key];
      if (!attr) throw new PosternError('NOT_FOUND', `Device ${id} has no attribute ${JSON.stringify(key)} (or it expired).`);
      return attr;
    },

    async putCustomAttribute(id: string, key: string, value: AttributeValue, expiresAt: string | null, by: Actor): Promise<StoredAttribute> {
      assertCustomKey(key);
      if (expiresAt && Date.parse(expiresAt) <= clock.nowMs()) throw validationError('body.expiresAt', 'must be in the future.');
      const written = await store.transaction(async (tx) => {
        await mustGet(tx, id);
        const before = liveAttributes((await repo.attributesOf(tx, [id])).get(id), clock.nowMs())[key] ?? null;
        const attr: StoredAttribute = { value, source: 'admin', updatedAt: clock.now().toISOString(), expiresAt };
        await repo.putAttribute(tx, id, key, attr);
        await deps.audit.record(tx, {
          ...auditBase(by),
          action: 'device.attribute.update',
          target: id,
          before: { [key]: before?.value ?? null },
          after: { [key]: value },
        });
        return attr;
      });
      await deps.onChange?.(id, 'attribute');
      return written;
    },

    async deleteCustomAttribute(id: string, key: string, by: Actor): Promise<void> {
      assertCustomKey(key);
      await store.transaction(async (tx) => {
        await mustGet(tx, id);
        const before = (await repo.attributesOf(tx, [id])).get(id)?.[key];
        if (!(await repo.deleteAttribute(tx, id, key))) throw new PosternError('NOT_FOUND', `Device ${id} has no attribute ${JSON.stringify(key)}.`);
        await deps.audit.record(tx, {
          ...auditBase(by),
          action: 'device.attribute.delete',
          target: id,
          before: { [key]: before?.value ?? null },
          after: { [key]: null },
        });
      });
      await deps.onChange?.(id, 'attribute');
    },

    async sources(id: string): Promise<DeviceSource[]> {
      await mustGet(store.db, id);
      return (await repo.sourcesOf(store.db, [id])).get(id) ?? [];
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;

function assertCustomKey(key: string): void {
  if (!key.startsWith('custom:')) {
    throw new PosternError(
      'ATTRIBUTE_READ_ONLY',
      `Attribute ${JSON.stringify(key)} is written by postern or an integration; only custom:<name> attributes can be written.`,
    );
  }
  if (!CUSTOM_KEY_PATTERN.test(key)) {
    throw validationError('path.key', 'must be custom:<name> with 1–128 letters, digits or underscores.');
  }
}

const dedupe = (values: readonly string[]) => [...new Set(values)];

const encodeCursor = (d: Device) => Buffer.from(`d:${d.createdAt}|${d.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const m = /^d:([^|]+)\|(.+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError('query.cursor', 'is not a cursor this endpoint returned; start again without it.');
  return { createdAt: m[1]!, id: m[2]! };
}

/** MACs as given, normalised (`aa:bb:cc:dd:ee:ff`) and de-duplicated; the matcher decides which may match. */
function macList(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => normalizeMac(v)).filter((m): m is string => m !== null))];
}

/** An S1 agent UUID as S1 writes it: 32 lower-case hex digits (dashes dropped). */
const agentUuid = agentUuidKey;
