/**
 * The device-identity writes every entry path goes through: enrollment by an agent, its later reports, and the
 * admin approvals of what a device claimed. The rules themselves are pure (`identity-rules.ts`); this file applies
 * them inside one transaction each, with the serial and address checks in that same transaction and the serials'
 * UNIQUE index behind them, so concurrent writes cannot register one serial twice.
 */
import { normalizeMac } from './mac.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { isUniqueViolation, uniqueViolationOn, type Executor, type Store, type Tx } from '../store/index.ts';
import {
  approveSerials,
  enrollmentUser,
  reportedAddresses,
  reportedSerials,
  type AddressRow,
  type SerialRow,
} from './identity-rules.ts';
import type { DeviceRepo } from './repo.ts';
import { usableSerial } from './serial.ts';
import type { Device, DeviceFacts, DeviceView, EnrollmentRequest } from './types.ts';

export interface Actor {
  actor: string;
  requestId?: string | null;
}

export interface IdentityDeps {
  store: Store;
  repo: DeviceRepo;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditLog, 'record'>;
  views(db: Executor, devices: Device[]): Promise<DeviceView[]>;
  mustGet(db: Executor, id: string): Promise<Device>;
  onChange?: DeviceChangeHook;
}

/**
 * Called after every committed device write, with what happened: the one place to learn that a device changed
 * (a posture view refreshes it; enrollment and serial approval ask for a sync so new devices get their posture).
 */
/** Told after a committed device write; the write answers once a returned promise settles. */
export type DeviceChangeHook = (deviceId: string, what: DeviceChange) => void | Promise<void>;
export type DeviceChange = 'create' | 'update' | 'remove' | 'enroll' | 'report' | 'approve-user' | 'approve-serials' | 'attribute';

export const usableSerials = (raw: readonly string[]) => [...new Set(raw.map(usableSerial).filter((s): s is string => s !== null))];

export const serialConflict = () =>
  new PosternError('CONFLICT', 'Another device already has this serial number; an admin must remove or edit that device before this one can claim it.', {
    details: [{ path: 'body.serialNumbers', message: 'is already registered to another device' }],
  });

/**
 * Refuses serials and identifying addresses another device holds. Runs inside the writing transaction. An approved
 * claim (an admin's, or an enrollment key's that approves serials) displaces another device's merely pending claim,
 * so a device that names a serial first cannot lock the real machine out; the displacement is audited.
 */
export async function refuseTaken(
  tx: Executor,
  repo: DeviceRepo,
  serials: readonly SerialRow[],
  addresses: readonly AddressRow[],
  exceptId: string | null,
  audit?: { log: Pick<AuditLog, 'record'>; by: Actor },
) {
  const ours = new Map(serials.map((s) => [s.serial, s.status]));
  for (const holder of await repo.serialHolders(tx, [...ours.keys()], exceptId)) {
    if (holder.status !== 'pending' || ours.get(holder.serial) !== 'approved' || !audit) throw serialConflict();
    await repo.dropPendingSerial(tx, holder.deviceId, holder.serial);
    await audit.log.record(tx, { ...auditBase(audit.by), action: 'device.serial.displace', target: holder.deviceId, before: { pendingSerial: holder.serial } });
  }
  const held = await repo.addressHolders(tx, addresses.map((a) => a.address), exceptId);
  if (held.length > 0) {
    const first = held[0]!;
    throw new PosternError('CONFLICT', `Address ${first.address} already identifies device ${first.deviceId}; remove it from that device first.`, {
      details: [{ path: 'body.addresses', message: `${first.address} belongs to ${first.deviceId}` }],
    });
  }
}

/** Runs a write transaction; a lost race on the serials' or addresses' UNIQUE index answers 409 like the check before it. */
export async function writeTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await store.transaction(fn);
  } catch (err) {
    if (uniqueViolationOn(err) === 'device_addresses') {
      throw new PosternError('CONFLICT', 'Another device took one of these addresses at the same moment; look it up and try again.', {
        details: [{ path: 'body.addresses', message: 'is already held by another device' }],
      });
    }
    if (isUniqueViolation(err)) throw serialConflict();
    throw err;
  }
}

export const auditBase = (by: Actor) => ({ actor: by.actor, requestId: by.requestId ?? null });

export function createIdentityWrites(deps: IdentityDeps) {
  const { store, repo, clock } = deps;

  /** Which of these addresses another device already holds. */
  const heldElsewhere = async (tx: Executor, addresses: readonly string[], exceptId: string | null) =>
    new Set((await repo.addressHolders(tx, addresses, exceptId)).map((h) => h.address));

  return {
    /**
     * Registers the machine an agent runs on. Tags and user come from the credential (and an identity-provider
     * login), never from the device; serials it names wait for approval unless the key approves them; its
     * addresses identify it only where postern saw it connect from. `within` runs in the same transaction
     * (the enrollment key is spent and the device tokens issued there).
     */
    async enroll(req: EnrollmentRequest, by: Actor, within?: (tx: Tx, device: Device) => Promise<void>): Promise<DeviceView> {
      const now = clock.now().toISOString();
      const { user, claimedUser } = enrollmentUser(req.keyUser, req.provenUser, req.namedUser);
      const serials = reportedSerials([], usableSerials(req.facts.serialNumbers), req.autoApproveSerials);
      const device = await writeTransaction(store, async (tx) => {
        const held = await heldElsewhere(tx, req.facts.addresses, null);
        const addresses = reportedAddresses([], req.facts.addresses, req.observedAddress, held);
        const created: Device = {
          id: deps.ids('dev'),
          name: req.facts.name,
          os: req.facts.os,
          osVersion: req.facts.osVersion ?? null,
          serialNumbers: [...new Set(req.facts.serialNumbers)],
          pendingSerials: serials.filter((s) => s.status === 'pending').map((s) => s.serial).sort(),
          addresses: addresses.identifying.map((a) => a.address),
          reportedAddresses: addresses.reportedOnly,
          reportedMacAddresses: reportedMacs(req.facts.macAddresses),
          user,
          claimedUser,
          tags: [...new Set(req.tags)],
          createdAt: now,
          updatedAt: now,
        };
        await refuseTaken(tx, repo, serials, addresses.identifying, null, { log: deps.audit, by });
        await repo.insert(tx, created, { addresses: addresses.identifying, serials });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.enroll', target: created.id, after: created });
        if (within) await within(tx, created);
        return created;
      });
      await deps.onChange?.(device.id, 'enroll');
      return (await deps.views(store.db, [device]))[0]!;
    },

    /**
     * A device's agent reports its current facts. Nothing it says changes its user or tags; new serials wait for
     * approval; addresses identify it only where observed. A report that changes nothing writes nothing: no
     * `updatedAt` bump, no audit event, so agents on a timer neither force full syncs nor grow the audit log.
     */
    async report(
      id: string,
      facts: DeviceFacts,
      observedAddress: string | null,
      by: Actor,
      provenUser: string | null = null,
    ): Promise<{ device: DeviceView; changed: boolean }> {
      const result = await writeTransaction(store, async (tx) => {
        const before = await deps.mustGet(tx, id);
        // A sign-in at the identity provider gives a device without a user its user; it never overrides one an
        // admin or an enrollment key set.
        const proven = provenUser?.toLowerCase() ?? null;
        if (proven !== null && before.user !== null && before.user !== proven) {
          throw new PosternError('CONFLICT', `Device ${id} belongs to ${before.user}; an admin must change its user before ${proven} can sign in on it.`);
        }
        const [serialRows, addressRows] = await Promise.all([repo.serialRows(tx, id), repo.addressRows(tx, id)]);
        const serials = reportedSerials(serialRows, usableSerials(facts.serialNumbers), false);
        const addresses = reportedAddresses(addressRows, facts.addresses, observedAddress, await heldElsewhere(tx, facts.addresses, id));
        const next: Device = {
          ...before,
          name: facts.name,
          os: facts.os,
          osVersion: facts.osVersion ?? null,
          serialNumbers: [...new Set(facts.serialNumbers)],
          pendingSerials: serials.filter((s) => s.status === 'pending').map((s) => s.serial).sort(),
          addresses: addresses.identifying.map((a) => a.address),
          reportedAddresses: addresses.reportedOnly,
          ...(facts.macAddresses !== undefined ? { reportedMacAddresses: reportedMacs(facts.macAddresses) } : {}),
          ...(proven !== null ? { user: proven, claimedUser: before.claimedUser === proven ? null : before.claimedUser } : {}),
        };
        const serialsSame = sameRows(serialRows, serials, (r) => `${r.serial}|${r.status}|${r.source}`);
        const addressesSame = sameRows(addressRows, addresses.identifying, (r) => `${r.address}|${r.source}`);
        if (sameDevice(before, next) && serialsSame && addressesSame) return { device: before, changed: false };
        const after = { ...next, updatedAt: clock.now().toISOString() };
        await refuseTaken(tx, repo, serials, addresses.identifying, id);
        await repo.update(tx, after, { addresses: addresses.identifying, serials });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.report', target: id, before, after });
        return { device: after, changed: true };
      });
      if (result.changed) await deps.onChange?.(id, 'report');
      return { device: (await deps.views(store.db, [result.device]))[0]!, changed: result.changed };
    },

    /** An admin accepts the user the device claimed: it becomes the device's user. */
    async approveUser(id: string, by: Actor): Promise<DeviceView> {
      const after = await store.transaction(async (tx) => {
        const before = await deps.mustGet(tx, id);
        if (!before.claimedUser) {
          throw new PosternError('CONFLICT', `Device ${id} claims no user; set one with PATCH /v1/devices/${id} {"user": …} instead.`);
        }
        const updated: Device = { ...before, user: before.claimedUser, claimedUser: null, updatedAt: clock.now().toISOString() };
        await repo.update(tx, updated);
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.user.approve', target: id, before: { user: before.user, claimedUser: before.claimedUser }, after: { user: updated.user } });
        return updated;
      });
      await deps.onChange?.(id, 'approve-user');
      return (await deps.views(store.db, [after]))[0]!;
    },

    /** An admin accepts the serials the device named: they match SentinelOne agents from the next sync on. */
    async approveSerials(id: string, by: Actor): Promise<DeviceView> {
      const after = await writeTransaction(store, async (tx) => {
        const before = await deps.mustGet(tx, id);
        const rows = await repo.serialRows(tx, id);
        if (!rows.some((r) => r.status === 'pending')) throw new PosternError('CONFLICT', `Device ${id} has no serial waiting for approval.`);
        const updated: Device = { ...before, pendingSerials: [], updatedAt: clock.now().toISOString() };
        await repo.update(tx, updated, { serials: approveSerials(rows) });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.serial.approve', target: id, after: { approved: before.pendingSerials } });
        return updated;
      });
      await deps.onChange?.(id, 'approve-serials');
      return (await deps.views(store.db, [after]))[0]!;
    },
  };
}

function sameDevice(a: Device, b: Device): boolean {
  return (
    a.name === b.name &&
    a.os === b.os &&
    a.osVersion === b.osVersion &&
    a.user === b.user &&
    a.claimedUser === b.claimedUser &&
    same(a.serialNumbers, b.serialNumbers) &&
    same(a.pendingSerials, b.pendingSerials) &&
    same([...a.addresses].sort(), [...b.addresses].sort()) &&
    same([...a.reportedAddresses].sort(), [...b.reportedAddresses].sort()) &&
    same([...(a.reportedMacAddresses ?? [])].sort(), [...(b.reportedMacAddresses ?? [])].sort())
  );
}

/** What an agent reports as its MACs, normalised; a claim only (an admin's `macAddresses` are what match). */
function reportedMacs(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => normalizeMac(v)).filter((m): m is string => m !== null))].sort().slice(0, 32);
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function sameRows<T>(a: readonly T[], b: readonly T[], key: (r: T) => string): boolean {
  return same(a.map(key).sort(), b.map(key).sort());
}
