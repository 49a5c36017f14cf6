/**
 * The device-identity writes every entry path goes through: enrollment by an agent, its later reports, and the
 * admin approvals of what a device claimed (a device source's writes are in `source-writes.ts`). The rules
 * themselves are pure (`identity-rules.ts`); this file applies them inside one transaction each, with the serial
 * and address checks in that same transaction and the UNIQUE index on approved serials behind them, so concurrent
 * writes cannot approve one serial twice. A claim never answers differently because the serial was claimed or
 * held before: it waits, and the conflict is on the device.
 */
import { normalizeMac } from './mac.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { isUniqueViolation, uniqueViolationOn, type Executor, type Store, type Tx } from '../store/index.ts';
import {
  agentUuidKey,
  approveSerials,
  conflictNote,
  enrollmentUser,
  reportedAddresses,
  reportedAgentUuid,
  reportedSerials,
  type AddressRow,
  type AgentUuidState,
  type ClaimContext,
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
 * For an admin's write: refuses serials another device holds approved, and identifying addresses another device
 * holds. Runs inside the writing transaction. Other devices' pending claims on the serials stay, marked with the
 * device that now holds them (claims never block, and nothing is moved silently).
 */
export async function refuseTaken(
  tx: Executor,
  repo: DeviceRepo,
  serials: readonly SerialRow[],
  addresses: readonly AddressRow[],
  exceptId: string | null,
) {
  const approved = serials.filter((s) => s.status === 'approved').map((s) => s.serial);
  if ((await repo.serialHolders(tx, approved, exceptId)).some((h) => h.status === 'approved')) throw serialConflict();
  const held = await repo.addressHolders(tx, addresses.map((a) => a.address), exceptId);
  if (held.length > 0) {
    const first = held[0]!;
    throw new PosternError('CONFLICT', `Address ${first.address} already identifies device ${first.deviceId}; remove it from that device first.`, {
      details: [{ path: 'body.addresses', message: `${first.address} belongs to ${first.deviceId}` }],
    });
  }
}

/** Other devices' rows on these serials, by serial: what a claim is judged against. */
export async function claimsElsewhere(tx: Executor, repo: DeviceRepo, serials: readonly string[], exceptId: string | null): Promise<ClaimContext['others']> {
  const out = new Map<string, { deviceId: string; status: SerialRow['status'] }[]>();
  for (const h of await repo.serialHolders(tx, serials, exceptId)) out.set(h.serial, [...(out.get(h.serial) ?? []), { deviceId: h.deviceId, status: h.status }]);
  return out;
}

/**
 * After a write that approved serials on `deviceId`: the other devices' pending claims on them stay pending, with
 * the reason; and a new conflict on this device (a claim that waits on one) is an audited alert event.
 */
export async function settleClaims(
  tx: Executor,
  repo: DeviceRepo,
  audit: Pick<AuditLog, 'record'>,
  by: Actor,
  deviceId: string,
  before: readonly SerialRow[],
  after: readonly SerialRow[],
): Promise<void> {
  const wasApproved = new Set(before.filter((r) => r.status === 'approved').map((r) => r.serial));
  const approved = after.filter((r) => r.status === 'approved' && !wasApproved.has(r.serial)).map((r) => r.serial);
  const losers = await repo.noteOtherClaims(tx, approved, deviceId, conflictNote('SERIAL_HELD', deviceId));
  for (const loser of losers) {
    await audit.record(tx, { ...auditBase(by), action: 'device.identity.conflict', target: loser, after: { code: 'SERIAL_HELD', heldBy: deviceId, serials: approved } });
  }
  const noted = (rows: readonly SerialRow[]) => new Set(rows.filter((r) => r.status === 'pending' && r.note).map((r) => `${r.serial} ${r.note}`));
  const old = noted(before);
  const fresh = after.filter((r) => r.status === 'pending' && r.note && !old.has(`${r.serial} ${r.note}`));
  if (fresh.length > 0) {
    await audit.record(tx, { ...auditBase(by), action: 'device.identity.conflict', target: deviceId, after: { conflicts: fresh.map((r) => ({ serial: r.serial, source: r.source, note: r.note })) } });
  }
}

/**
 * Runs a write transaction; a lost race on the approved serials' or addresses' UNIQUE index answers 409 like the
 * check before it. With `rejudge`, a lost race on a serial runs the write once more instead, so the claim is judged
 * again (and waits, another device now holding the serial): a claim answers alike however the race went.
 */
export async function writeTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>, options: { rejudge?: boolean } = {}): Promise<T> {
  try {
    return await store.transaction(fn);
  } catch (err) {
    if (options.rejudge && isUniqueViolation(err) && uniqueViolationOn(err) !== 'device_addresses') return writeTransaction(store, fn);
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

  /** The agent-UUID fields after the agent stated `reported` (`reportedAgentUuid`), judged in this transaction. */
  const agentUuidClaim = async (tx: Executor, before: AgentUuidState, reported: string | null | undefined, autoApprove: boolean, exceptId: string | null) => {
    const uuid = agentUuidKey(reported);
    const held = uuid !== null && autoApprove ? (await repo.agentUuidHolders(tx, uuid, exceptId)).length > 0 : false;
    return reportedAgentUuid(before, reported, autoApprove, held);
  };

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
      const usable = usableSerials(req.facts.serialNumbers);
      const macs = reportedMacs(req.facts.macAddresses);
      const device = await writeTransaction(store, async (tx) => {
        const serials = reportedSerials([], usable, req.autoApproveSerials, await claimsElsewhere(tx, repo, usable, null));
        const held = await heldElsewhere(tx, req.facts.addresses, null);
        const addresses = reportedAddresses([], req.facts.addresses, req.observedAddress, held);
        const uuid = await agentUuidClaim(tx, { s1AgentUuid: null, reportedS1AgentUuid: null }, req.facts.s1AgentUuid, req.autoApproveSerials, null);
        const created: Device = {
          id: deps.ids('dev'),
          name: req.facts.name,
          os: req.facts.os,
          osVersion: req.facts.osVersion ?? null,
          serialNumbers: [...new Set(req.facts.serialNumbers)],
          pendingSerials: serials.filter((s) => s.status === 'pending').map((s) => s.serial).sort(),
          addresses: addresses.identifying.map((a) => a.address),
          reportedAddresses: addresses.reportedOnly,
          // The agent's MACs follow its serials: approved when its key approves serials, else they wait.
          macAddresses: req.autoApproveSerials ? macs : [],
          macSources: req.autoApproveSerials ? Object.fromEntries(macs.map((m) => [m, 'device'])) : {},
          reportedMacAddresses: req.autoApproveSerials ? [] : macs,
          // The agent's UUID is a claim too: matched at once only when its key approves claims and no device has it.
          ...uuid,
          user,
          claimedUser,
          tags: [...new Set(req.tags)],
          createdAt: now,
          updatedAt: now,
        };
        await repo.insert(tx, created, { addresses: addresses.identifying, serials });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.enroll', target: created.id, after: created });
        await settleClaims(tx, repo, deps.audit, by, created.id, [], serials);
        if (within) await within(tx, created);
        return created;
      }, { rejudge: true });
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
        const usable = usableSerials(facts.serialNumbers);
        const serials = reportedSerials(serialRows, usable, false, await claimsElsewhere(tx, repo, usable, id));
        const addresses = reportedAddresses(addressRows, facts.addresses, observedAddress, await heldElsewhere(tx, facts.addresses, id));
        const uuid = await agentUuidClaim(tx, { s1AgentUuid: before.s1AgentUuid ?? null, reportedS1AgentUuid: before.reportedS1AgentUuid ?? null }, facts.s1AgentUuid, false, id);
        const next: Device = {
          ...before,
          ...uuid,
          name: facts.name,
          os: facts.os,
          osVersion: facts.osVersion ?? null,
          serialNumbers: [...new Set(facts.serialNumbers)],
          pendingSerials: serials.filter((s) => s.status === 'pending').map((s) => s.serial).sort(),
          addresses: addresses.identifying.map((a) => a.address),
          reportedAddresses: addresses.reportedOnly,
          ...(facts.macAddresses !== undefined ? reportedMacState(before, reportedMacs(facts.macAddresses)) : {}),
          ...(proven !== null ? { user: proven, claimedUser: before.claimedUser === proven ? null : before.claimedUser } : {}),
        };
        const serialsSame = sameRows(serialRows, serials, (r) => `${r.serial}|${r.status}|${r.source}`);
        const addressesSame = sameRows(addressRows, addresses.identifying, (r) => `${r.address}|${r.source}`);
        if (sameDevice(before, next) && serialsSame && addressesSame) return { device: before, changed: false };
        const after = { ...next, updatedAt: clock.now().toISOString() };
        await repo.update(tx, after, { addresses: addresses.identifying, serials });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.report', target: id, before, after });
        await settleClaims(tx, repo, deps.audit, by, id, serialRows, serials);
        return { device: after, changed: true };
      }, { rejudge: true });
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

    /**
     * An admin accepts the serials and MACs the device (or its source) named: they match EDR agents from the next
     * sync on. A serial another device holds approved is refused (409 naming it); other devices' pending claims on
     * the approved serials stay pending, with this device as the reason.
     */
    async approveSerials(id: string, by: Actor): Promise<DeviceView> {
      const after = await writeTransaction(store, async (tx) => {
        const before = await deps.mustGet(tx, id);
        const rows = await repo.serialRows(tx, id);
        const pendingMacs = before.reportedMacAddresses ?? [];
        const pendingUuid = before.reportedS1AgentUuid ?? null;
        if (!rows.some((r) => r.status === 'pending') && pendingMacs.length === 0 && pendingUuid === null) {
          throw new PosternError('CONFLICT', `Device ${id} has no serial, MAC or agent UUID waiting for approval.`);
        }
        const uuidHolder = pendingUuid ? (await repo.agentUuidHolders(tx, pendingUuid, id))[0] : undefined;
        if (uuidHolder) {
          throw new PosternError('CONFLICT', `Agent UUID ${pendingUuid} is recorded on device ${uuidHolder}; remove it from that device first, or delete this device if it is the same machine.`, {
            details: [{ path: 'reportedS1AgentUuid', message: `${pendingUuid} belongs to ${uuidHolder}` }],
          });
        }
        const held = (await repo.serialHolders(tx, before.pendingSerials, id)).find((h) => h.status === 'approved');
        if (held) {
          throw new PosternError('CONFLICT', `Serial ${held.serial} is approved on device ${held.deviceId}; remove it from that device first, or delete this device if it is the same machine.`, {
            details: [{ path: 'pendingSerials', message: `${held.serial} belongs to ${held.deviceId}` }],
          });
        }
        const macs = [...new Set([...(before.macAddresses ?? []), ...pendingMacs])];
        const updated: Device = {
          ...before,
          pendingSerials: [],
          macAddresses: macs,
          macSources: { ...(before.macSources ?? {}), ...Object.fromEntries(pendingMacs.map((m) => [m, 'device'])) },
          reportedMacAddresses: [],
          ...(pendingUuid ? { s1AgentUuid: pendingUuid, reportedS1AgentUuid: null } : {}),
          updatedAt: clock.now().toISOString(),
        };
        const approved = approveSerials(rows);
        await repo.update(tx, updated, { serials: approved });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.serial.approve', target: id, after: { approved: before.pendingSerials, macs: pendingMacs, ...(pendingUuid ? { s1AgentUuid: pendingUuid } : {}) } });
        await settleClaims(tx, repo, deps.audit, by, id, rows, approved);
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
    same([...(a.reportedMacAddresses ?? [])].sort(), [...(b.reportedMacAddresses ?? [])].sort()) &&
    same([...(a.macAddresses ?? [])].sort(), [...(b.macAddresses ?? [])].sort()) &&
    (a.s1AgentUuid ?? null) === (b.s1AgentUuid ?? null) &&
    (a.reportedS1AgentUuid ?? null) === (b.reportedS1AgentUuid ?? null)
  );
}

/** What an agent reports as its MACs, normalised; a claim only (an admin's `macAddresses` are what match). */
function reportedMacs(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => normalizeMac(v)).filter((m): m is string => m !== null))].sort().slice(0, 32);
}

/**
 * The MAC fields after a report: the agent's approved MACs it still reports stay approved, those it stopped
 * reporting leave; admin-set MACs stay; every other reported MAC waits for approval.
 */
function reportedMacState(before: Device, reported: readonly string[]): Pick<Device, 'macAddresses' | 'macSources' | 'reportedMacAddresses'> {
  const sources = before.macSources ?? {};
  const now = new Set(reported);
  const macAddresses = (before.macAddresses ?? []).filter((m) => sources[m] !== 'device' || now.has(m));
  const macSources = Object.fromEntries(Object.entries(sources).filter(([m]) => macAddresses.includes(m)));
  return { macAddresses, macSources, reportedMacAddresses: reported.filter((m) => !macAddresses.includes(m)) };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function sameRows<T>(a: readonly T[], b: readonly T[], key: (r: T) => string): boolean {
  return same(a.map(key).sort(), b.map(key).sort());
}
