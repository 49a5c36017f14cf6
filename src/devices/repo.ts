/**
 * Device rows, their address index, attributes and matched-agent records — the only module that writes them.
 * Every method takes an executor. `synced` holds what integrations write (sync hands it a diff).
 */
import { fromJson, idsIn, isPostgres, toJson, type Executor, type DevicesTable, type AttributesTable } from '../store/index.ts';
import type { AttributeValue, StoredAttribute } from '../lib/attributes.ts';
import { chunks } from '../lib/chunks.ts';
import { sql } from 'kysely';
import type { VerifiableAgent } from './verification.ts';
import { readVerifiableAgents } from './verifiable-agents.ts';
import { resolveAttributes, type SourcedAttribute } from './attribute-resolution.ts';
import type { AddressRow, SerialRow, SerialStatus, FactSource, AddressSource } from './identity-rules.ts';
import { normalizeSerial, usableSerial } from './serial.ts';
import { createSyncedRepo } from './synced.ts';
import type { Device, DeviceSource } from './types.ts';

const toDevice = (row: DevicesTable, pendingSerials: string[] = []): Device => ({
  id: row.id,
  name: row.name,
  os: row.os,
  osVersion: row.os_version,
  serialNumbers: fromJson<string[]>(row.serial_numbers, []),
  pendingSerials,
  addresses: fromJson<string[]>(row.addresses, []),
  reportedAddresses: fromJson<string[]>(row.reported_addresses, []),
  macAddresses: fromJson<string[]>(row.mac_addresses ?? '[]', []),
  reportedMacAddresses: fromJson<string[]>(row.reported_mac_addresses ?? '[]', []),
  s1AgentUuid: row.s1_agent_uuid ?? null,
  reportedS1AgentUuid: row.reported_s1_agent_uuid ?? null,
  macSources: fromJson<Record<string, string>>(row.mac_sources ?? '{}', {}),
  user: row.user,
  claimedUser: row.claimed_user,
  tags: fromJson<string[]>(row.tags, []),
  source: row.source ?? null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

async function pendingOf(db: Executor, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const chunk of chunks(ids, 500)) {
    const rows = await db.selectFrom('device_serials').select(['device_id', 'serial']).where(idsIn(db, 'device_id', chunk)).where('status', '=', 'pending').orderBy('serial').execute();
    for (const r of rows) out.set(r.device_id, [...(out.get(r.device_id) ?? []), r.serial]);
  }
  return out;
}

async function withPending(db: Executor, rows: DevicesTable[]): Promise<Device[]> {
  const pending = rows.length > 0 ? await pendingOf(db, rows.map((r) => r.id)) : new Map<string, string[]>();
  return rows.map((r) => toDevice(r, pending.get(r.id) ?? []));
}

const toRow = (d: Device): DevicesTable => ({
  id: d.id,
  name: d.name,
  os: d.os,
  os_version: d.osVersion,
  serial_numbers: toJson(d.serialNumbers),
  addresses: toJson(d.addresses),
  user: d.user,
  tags: toJson(d.tags),
  source: d.source ?? null,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
  claimed_user: d.claimedUser,
  reported_addresses: toJson(d.reportedAddresses),
  mac_addresses: toJson(d.macAddresses ?? []),
  reported_mac_addresses: toJson(d.reportedMacAddresses ?? []),
  s1_agent_uuid: d.s1AgentUuid ?? null,
  reported_s1_agent_uuid: d.reportedS1AgentUuid ?? null,
  mac_sources: toJson(d.macSources ?? {}),
});

export const toStoredAttribute = (row: Pick<AttributesTable, 'value_json' | 'source' | 'updated_at' | 'expires_at'>): StoredAttribute => ({
  value: JSON.parse(row.value_json) as AttributeValue,
  source: row.source,
  updatedAt: row.updated_at,
  ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
});

/** One stored attribute row as `attributeRowsOf` hands it over: key, source, updated_at, expires_at, value_json. */
type AttributeRow = [string, string, string, string | null, string];

/**
 * The attribute rows of these devices, one JSON array per device built by the database: about a tenth of the rows
 * to hand over (a synced device has a dozen attributes), which is most of the cost of loading a large fleet.
 */
async function attributeRowsOf(db: Executor, deviceIds: readonly string[]): Promise<{ device_id: string; rows: string }[]> {
  const where = idsIn(db, 'device_id', deviceIds);
  const query = isPostgres(db)
    ? sql<{ device_id: string; rows: string }>`select device_id, json_agg(json_build_array(key, source, updated_at, expires_at, value_json))::text as rows from attributes where ${where} group by device_id`
    : sql<{ device_id: string; rows: string }>`select device_id, json_group_array(json_array(key, source, updated_at, expires_at, value_json)) as rows from attributes where ${where} group by device_id`;
  return (await query.execute(db)).rows;
}

export interface DevicePageCursor {
  createdAt: string;
  id: string;
}

const NONE: readonly string[] = Object.freeze([]);

export function createDeviceRepo() {
  return {
    synced: createSyncedRepo(),

    /** A new device row with its identifying addresses and normalised serials (the serials' UNIQUE index may refuse). */
    async insert(db: Executor, device: Device, identity: { addresses: readonly AddressRow[]; serials: readonly SerialRow[] }): Promise<void> {
      await db.insertInto('devices').values(toRow(device)).execute();
      await replaceAddresses(db, device.id, identity.addresses);
      await replaceSerials(db, device.id, identity.serials, device.updatedAt);
    },

    /** Rewrites the device row; addresses and serials only when given. */
    async update(db: Executor, device: Device, identity: { addresses?: readonly AddressRow[]; serials?: readonly SerialRow[] } = {}): Promise<void> {
      const { id, ...rest } = toRow(device);
      await db.updateTable('devices').set(rest).where('id', '=', id).execute();
      if (identity.addresses) await replaceAddresses(db, device.id, identity.addresses);
      if (identity.serials) await replaceSerials(db, device.id, identity.serials, device.updatedAt);
    },

    async serialRows(db: Executor, deviceId: string): Promise<SerialRow[]> {
      const rows = await db.selectFrom('device_serials').select(['serial', 'status', 'source', 'note']).where('device_id', '=', deviceId).orderBy('serial').execute();
      return rows.map((r) => ({ serial: r.serial, status: r.status as SerialStatus, source: r.source as FactSource, note: r.note ?? null }));
    },

    /** Every serial and address row of these devices, with its provenance: what the device view shows. */
    async identityRows(db: Executor, ids: readonly string[]): Promise<Map<string, { serials: SerialRow[]; addresses: AddressRow[] }>> {
      const out = new Map<string, { serials: SerialRow[]; addresses: AddressRow[] }>();
      const of = (id: string) => out.get(id) ?? (out.set(id, { serials: [], addresses: [] }), out.get(id)!);
      for (const chunk of chunks(ids, 500)) {
        const [serials, addresses] = await Promise.all([
          db.selectFrom('device_serials').select(['device_id', 'serial', 'status', 'source', 'note']).where('device_id', 'in', chunk).orderBy('serial').execute(),
          db.selectFrom('device_addresses').select(['device_id', 'address', 'source']).where('device_id', 'in', chunk).orderBy('address').execute(),
        ]);
        for (const r of serials) of(r.device_id).serials.push({ serial: r.serial, status: r.status as SerialStatus, source: r.source as FactSource, note: r.note ?? null });
        for (const r of addresses) of(r.device_id).addresses.push({ address: r.address, source: r.source as AddressSource });
      }
      return out;
    },

    /** Marks the other devices' pending claims on these serials with why they wait (another device now holds it). */
    async noteOtherClaims(db: Executor, serials: readonly string[], exceptId: string, note: string): Promise<string[]> {
      if (serials.length === 0) return [];
      const rows = await db.selectFrom('device_serials').select('device_id').where('serial', 'in', [...serials]).where('status', '=', 'pending').where('device_id', '!=', exceptId).execute();
      if (rows.length > 0) {
        await db.updateTable('device_serials').set({ note }).where('serial', 'in', [...serials]).where('status', '=', 'pending').where('device_id', '!=', exceptId).execute();
      }
      return [...new Set(rows.map((r) => r.device_id))];
    },

    /** Devices with a pending claim that conflicts: a note, or a serial another device holds approved. */
    async conflictedIds(db: Executor): Promise<string[]> {
      const noted = await db.selectFrom('device_serials').select('device_id').where('status', '=', 'pending').where('note', 'is not', null).execute();
      const held = await db
        .selectFrom('device_serials as p')
        .innerJoin('device_serials as a', (j) => j.onRef('a.serial', '=', 'p.serial').onRef('a.device_id', '!=', 'p.device_id'))
        .select('p.device_id')
        .where('p.status', '=', 'pending')
        .where('a.status', '=', 'approved')
        .execute();
      return [...new Set([...noted, ...held].map((r) => r.device_id))].sort();
    },

    /**
     * Serials of EDR agents that feed a device through a match other than its serial (a MAC or an agent UUID): a
     * node presenting one must not link the agent to a second device. Serial to device id.
     */
    async agentSerialsMatchedOtherwise(db: Executor): Promise<Map<string, string>> {
      const rows = await db.selectFrom('device_sources').select(['device_id', 'agent_json']).where('matched_by', '!=', 'serial').execute();
      const out = new Map<string, string>();
      for (const r of rows) {
        const serial = fromJson<Record<string, unknown>>(r.agent_json, {}).serialNumber;
        const usable = typeof serial === 'string' ? usableSerial(serial) : null;
        if (usable !== null) out.set(usable, r.device_id);
      }
      return out;
    },

    async addressRows(db: Executor, deviceId: string): Promise<AddressRow[]> {
      const rows = await db.selectFrom('device_addresses').select(['address', 'source']).where('device_id', '=', deviceId).orderBy('address').execute();
      return rows.map((r) => ({ address: r.address, source: r.source as AddressSource }));
    },

    /** The devices other than `exceptId` that hold any of these normalised serials. */
    async serialHolders(db: Executor, serials: readonly string[], exceptId: string | null): Promise<{ deviceId: string; serial: string; status: SerialStatus }[]> {
      if (serials.length === 0) return [];
      let q = db.selectFrom('device_serials').select(['device_id', 'serial', 'status']).where('serial', 'in', [...serials]);
      if (exceptId) q = q.where('device_id', '!=', exceptId);
      return (await q.execute()).map((r) => ({ deviceId: r.device_id, serial: r.serial, status: r.status as SerialStatus }));
    },

    /** The devices other than `exceptId` that these addresses already identify. */
    async addressHolders(db: Executor, addresses: readonly string[], exceptId: string | null): Promise<{ deviceId: string; address: string }[]> {
      if (addresses.length === 0) return [];
      let q = db.selectFrom('device_addresses').select(['device_id', 'address']).where('address', 'in', [...addresses]);
      if (exceptId) q = q.where('device_id', '!=', exceptId);
      return (await q.execute()).map((r) => ({ deviceId: r.device_id, address: r.address }));
    },

    async remove(db: Executor, id: string): Promise<boolean> {
      const res = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async get(db: Executor, id: string): Promise<Device | null> {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? ((await withPending(db, [row]))[0] ?? null) : null;
    },

    /** The devices with these ids that exist, in no particular order. */
    async getMany(db: Executor, ids: readonly string[]): Promise<Device[]> {
      const out: Device[] = [];
      for (const chunk of chunks(ids, 500)) out.push(...(await withPending(db, await db.selectFrom('devices').selectAll().where(idsIn(db, 'id', chunk)).execute())));
      return out;
    },

    /**
     * A page of devices; with `awaitingApproval`, only those with a claimed user or a pending serial; with
     * `withUser`, only those with a user; with `onlyIds`, only those; with `search`, only those whose name, user,
     * claimed user or tags contain it (any case), or one of whose serials is it (normalised).
     */
    async list(db: Executor, limit: number, after: DevicePageCursor | null, options: { awaitingApproval?: boolean; withUser?: boolean; onlyIds?: readonly string[]; search?: string } = {}): Promise<Device[]> {
      let q = db.selectFrom('devices').selectAll().orderBy('created_at').orderBy('id').limit(limit);
      if (options.onlyIds) {
        if (options.onlyIds.length === 0) return [];
        q = q.where('id', 'in', [...options.onlyIds]);
      }
      if (options.withUser) q = q.where('user', 'is not', null);
      if (options.search) {
        const like = `%${options.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const contains = (column: 'name' | 'user' | 'claimed_user' | 'tags') => sql<boolean>`lower(${sql.ref(`devices.${column}`)}) like ${like} escape '\\'`;
        const serial = normalizeSerial(options.search);
        q = q.where((eb) =>
          eb.or([
            contains('name'),
            contains('user'),
            contains('claimed_user'),
            contains('tags'),
            eb.exists(eb.selectFrom('device_serials').select('device_id').whereRef('device_serials.device_id', '=', 'devices.id').where('serial', '=', serial)),
          ]),
        );
      }
      if (options.awaitingApproval) {
        q = q.where((eb) =>
          eb.or([
            eb('claimed_user', 'is not', null),
            eb('reported_s1_agent_uuid', 'is not', null),
            eb.exists(eb.selectFrom('device_serials').select('device_id').whereRef('device_serials.device_id', '=', 'devices.id').where('status', '=', 'pending')),
          ]),
        );
      }
      if (after) {
        q = q.where((eb) =>
          eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
        );
      }
      return withPending(db, await q.execute());
    },

    async count(db: Executor): Promise<number> {
      const row = await db.selectFrom('devices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The devices other than `exceptId` whose (approved) agent UUID is `uuid`. */
    async agentUuidHolders(db: Executor, uuid: string, exceptId: string | null): Promise<string[]> {
      let q = db.selectFrom('devices').select('id').where('s1_agent_uuid', '=', uuid);
      if (exceptId) q = q.where('id', '!=', exceptId);
      return (await q.execute()).map((r) => r.id);
    },

    /**
     * Every device's id and approved serials (and its MACs and agent UUID): what the matcher needs, nothing more. A
     * serial still pending an admin's approval matches no agent, so a device cannot borrow an agent's posture by
     * naming its serial. A sync holds this for the whole fleet: each list is sized to what it carries and every
     * empty one is the same frozen list.
     */
    async listSerials(db: Executor): Promise<{ id: string; serialNumbers: readonly string[]; macAddresses: readonly string[]; s1AgentUuid: string | null }[]> {
      const [devices, serials] = await Promise.all([
        db.selectFrom('devices').select(['id', 'mac_addresses', 's1_agent_uuid']).execute(),
        db.selectFrom('device_serials').select(['device_id', 'serial']).where('status', '=', 'approved').execute(),
      ]);
      const by = new Map<string, string[]>();
      for (const s of serials) {
        const list = by.get(s.device_id);
        if (list) list.push(s.serial);
        else by.set(s.device_id, [s.serial]);
      }
      return devices.map((d) => {
        const macs = d.mac_addresses === null || d.mac_addresses === '[]' ? NONE : fromJson<string[]>(d.mac_addresses, []);
        return { id: d.id, serialNumbers: by.get(d.id) ?? NONE, macAddresses: macs.length === 0 ? NONE : macs, s1AgentUuid: d.s1_agent_uuid };
      });
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
      const out = new Map<string, Record<string, StoredAttribute>>();
      if (deviceIds.length === 0) return out;
      // The posture view holds what this returns for every device. A sync writes one source and one time on all
      // of a device's rows (and on thousands of devices), so each distinct text is kept once, not once per row.
      // Most attributes also share their value, source and time across devices (infected: false, written by one
      // sync), so such an attribute is one object for all of them; nothing downstream changes it.
      const once = new Map<string, string>();
      const shared = (text: string) => once.get(text) ?? (once.set(text, text), text);
      const attrOnce = new Map<string, StoredAttribute>();
      for (const chunk of chunks(deviceIds, 500)) {
        for (const { device_id, rows } of await attributeRowsOf(db, chunk)) {
          const list: SourcedAttribute[] = [];
          for (const [key, source, updatedAt, expiresAt, valueJson] of JSON.parse(rows) as AttributeRow[]) {
            const text = `${source}\u0000${updatedAt}\u0000${expiresAt ?? ''}\u0000${valueJson}`;
            let attr = attrOnce.get(text);
            if (!attr) attrOnce.set(text, (attr = toStoredAttribute({ value_json: valueJson, source: shared(source), updated_at: shared(updatedAt), expires_at: expiresAt })));
            list.push({ key, attr });
          }
          out.set(device_id, resolveAttributes(list).attributes);
        }
      }
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

    /** Per device, per integration, what verification reads of the stored records (`verifiable-agents.ts`). */
    async verifiableAgentsOf(db: Executor, deviceIds: readonly string[], engine: 'sqlite' | 'postgres', fields: readonly string[] | null = null): Promise<Map<string, Map<string, VerifiableAgent>>> {
      return readVerifiableAgents(db, deviceIds, engine, fields);
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
            matchedBy: r.matched_by === 'mac' || r.matched_by === 'agentUuid' ? r.matched_by : 'serial',
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

async function replaceAddresses(db: Executor, deviceId: string, addresses: readonly AddressRow[]): Promise<void> {
  await db.deleteFrom('device_addresses').where('device_id', '=', deviceId).execute();
  const unique = [...new Map(addresses.map((a) => [a.address, a])).values()];
  if (unique.length > 0) {
    await db.insertInto('device_addresses').values(unique.map((a) => ({ device_id: deviceId, address: a.address, source: a.source }))).execute();
  }
}

async function replaceSerials(db: Executor, deviceId: string, serials: readonly SerialRow[], at: string): Promise<void> {
  await db.deleteFrom('device_serials').where('device_id', '=', deviceId).execute();
  const unique = [...new Map(serials.map((s) => [s.serial, s])).values()];
  if (unique.length > 0) {
    await db
      .insertInto('device_serials')
      .values(unique.map((s) => ({ device_id: deviceId, serial: s.serial, status: s.status, source: s.source, created_at: at, note: s.status === 'pending' ? (s.note ?? null) : null })))
      .execute();
  }
}
