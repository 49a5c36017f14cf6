/**
 * Device rows, their address index, attributes and matched-agent records — the only module that writes them.
 * Every method takes an executor. `synced` holds what integrations write (sync hands it a diff).
 */
import { fromJson, toJson, type Executor, type DevicesTable, type AttributesTable } from '../store/index.ts';
import type { AttributeValue, StoredAttribute } from '../lib/attributes.ts';
import { resolveAttributes, type SourcedAttribute } from './attribute-resolution.ts';
import { createSyncedRepo } from './synced.ts';
import type { Device, DeviceSource } from './types.ts';

const toDevice = (row: DevicesTable): Device => ({
  id: row.id,
  name: row.name,
  os: row.os,
  osVersion: row.os_version,
  serialNumbers: fromJson<string[]>(row.serial_numbers, []),
  addresses: fromJson<string[]>(row.addresses, []),
  user: row.user,
  tags: fromJson<string[]>(row.tags, []),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (d: Device): DevicesTable => ({
  id: d.id,
  name: d.name,
  os: d.os,
  os_version: d.osVersion,
  serial_numbers: toJson(d.serialNumbers),
  addresses: toJson(d.addresses),
  user: d.user,
  tags: toJson(d.tags),
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

export const toStoredAttribute = (row: Pick<AttributesTable, 'value_json' | 'source' | 'updated_at' | 'expires_at'>): StoredAttribute => ({
  value: JSON.parse(row.value_json) as AttributeValue,
  source: row.source,
  updatedAt: row.updated_at,
  ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
});

export interface DevicePageCursor {
  createdAt: string;
  id: string;
}

export function createDeviceRepo() {
  return {
    synced: createSyncedRepo(),

    async insert(db: Executor, device: Device): Promise<void> {
      await db.insertInto('devices').values(toRow(device)).execute();
      await replaceAddresses(db, device.id, device.addresses);
    },

    async update(db: Executor, device: Device): Promise<void> {
      const { id, ...rest } = toRow(device);
      await db.updateTable('devices').set(rest).where('id', '=', id).execute();
      await replaceAddresses(db, device.id, device.addresses);
    },

    async remove(db: Executor, id: string): Promise<boolean> {
      const res = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async get(db: Executor, id: string): Promise<Device | null> {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toDevice(row) : null;
    },

    /** The devices with these ids that exist, in no particular order. */
    async getMany(db: Executor, ids: readonly string[]): Promise<Device[]> {
      const out: Device[] = [];
      for (const chunk of chunks(ids, 500)) out.push(...(await db.selectFrom('devices').selectAll().where('id', 'in', chunk).execute()).map(toDevice));
      return out;
    },

    async list(db: Executor, limit: number, after: DevicePageCursor | null): Promise<Device[]> {
      let q = db.selectFrom('devices').selectAll().orderBy('created_at').orderBy('id').limit(limit);
      if (after) {
        q = q.where((eb) =>
          eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
        );
      }
      return (await q.execute()).map(toDevice);
    },

    async count(db: Executor): Promise<number> {
      const row = await db.selectFrom('devices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Every device's id and serials: what the matcher needs, nothing more. */
    async listSerials(db: Executor): Promise<{ id: string; serialNumbers: string[] }[]> {
      const rows = await db.selectFrom('devices').select(['id', 'serial_numbers']).execute();
      return rows.map((r) => ({ id: r.id, serialNumbers: fromJson<string[]>(r.serial_numbers, []) }));
    },

    async findIdsByAddress(db: Executor, address: string): Promise<string[]> {
      const rows = await db.selectFrom('device_addresses').select('device_id').where('address', '=', address).execute();
      return rows.map((r) => r.device_id);
    },

    async findIdsByUser(db: Executor, user: string): Promise<string[]> {
      const rows = await db.selectFrom('devices').select('id').where('user', '=', user).orderBy('updated_at', 'desc').execute();
      return rows.map((r) => r.id);
    },

    /**
     * Each device's attributes as every reader sees them: rows are stored per source, and where several
     * integrations see one device each namespace comes whole from the most recently active agent
     * (`attribute-resolution.ts`).
     */
    async attributesOf(db: Executor, deviceIds: readonly string[]): Promise<Map<string, Record<string, StoredAttribute>>> {
      const rowsByDevice = new Map<string, SourcedAttribute[]>();
      if (deviceIds.length === 0) return new Map();
      for (const chunk of chunks(deviceIds, 500)) {
        const rows = await db.selectFrom('attributes').selectAll().where('device_id', 'in', chunk).execute();
        for (const row of rows) {
          const list = rowsByDevice.get(row.device_id) ?? [];
          list.push({ key: row.key, attr: toStoredAttribute(row) });
          rowsByDevice.set(row.device_id, list);
        }
      }
      const out = new Map<string, Record<string, StoredAttribute>>();
      for (const [deviceId, rows] of rowsByDevice) out.set(deviceId, resolveAttributes(rows).attributes);
      return out;
    },

    async putAttribute(db: Executor, deviceId: string, key: string, attr: StoredAttribute): Promise<void> {
      const values = {
        device_id: deviceId,
        key,
        value_json: JSON.stringify(attr.value),
        source: attr.source,
        updated_at: attr.updatedAt,
        expires_at: attr.expiresAt ?? null,
      };
      await db
        .insertInto('attributes')
        .values(values)
        .onConflict((oc) => oc.columns(['device_id', 'source', 'key']).doUpdateSet({
          value_json: values.value_json,
          updated_at: values.updated_at,
          expires_at: values.expires_at,
        }))
        .execute();
    },

    async deleteAttribute(db: Executor, deviceId: string, key: string): Promise<boolean> {
      const res = await db.deleteFrom('attributes').where('device_id', '=', deviceId).where('key', '=', key).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async sourcesOf(db: Executor, deviceIds: readonly string[]): Promise<Map<string, DeviceSource[]>> {
      const out = new Map<string, DeviceSource[]>();
      if (deviceIds.length === 0) return out;
      for (const chunk of chunks(deviceIds, 500)) {
        const rows = await db.selectFrom('device_sources').selectAll().where('device_id', 'in', chunk).execute();
        for (const r of rows) {
          const list = out.get(r.device_id) ?? [];
          list.push({
            integrationId: r.integration_id,
            agentId: r.agent_id,
            matchedSerial: r.matched_serial,
            conflictAgentIds: fromJson<string[]>(r.conflict_agent_ids, []),
            matchedAt: r.matched_at,
            agent: fromJson<Record<string, unknown>>(r.agent_json, {}),
          });
          out.set(r.device_id, list);
        }
      }
      return out;
    },
  };
}

export type DeviceRepo = ReturnType<typeof createDeviceRepo>;

async function replaceAddresses(db: Executor, deviceId: string, addresses: readonly string[]): Promise<void> {
  await db.deleteFrom('device_addresses').where('device_id', '=', deviceId).execute();
  const unique = [...new Set(addresses)];
  if (unique.length > 0) {
    await db.insertInto('device_addresses').values(unique.map((address) => ({ device_id: deviceId, address }))).execute();
  }
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
