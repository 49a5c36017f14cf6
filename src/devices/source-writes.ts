/**
 * What a device source (a tailnet) states about devices, through the same identity rules as an agent's report
 * (`identity-rules.ts`): every serial and address it brings is a row marked with its provenance (`tailnet:<id>`),
 * replaced only by that source and removed with it. Its serials are claims judged against every other device
 * (approved on one device at most; a serial another device holds or claims, or whose EDR agent feeds another
 * device, waits with the conflict); an address another device holds is not taken. Each call is one transaction,
 * and `within` runs in it, so the source's own bookkeeping (its node link) commits with the facts or not at all.
 */
import type { Executor, Tx } from '../store/index.ts';
import { auditBase, claimsElsewhere, settleClaims, usableSerials, writeTransaction, type Actor, type IdentityDeps } from './identity.ts';
import { sourceAddresses, sourceSerials, withoutSource, type AddressRow, type FactSource, type SerialRow } from './identity-rules.ts';
import { usableSerial } from './serial.ts';
import type { Device, DeviceView } from './types.ts';

export type SourceId = `tailnet:${string}`;

export interface SourceStatement {
  /** Serials as the source reported them (normalised here). */
  serialNumbers: readonly string[];
  /** Addresses the source assigns the node (already validated). */
  addresses: readonly string[];
  /** Approve claims that break no rule (the tailnet's `autoApproveSerials`). */
  autoApprove: boolean;
  /** Serials another record of the same read also presents: none of them is approved automatically. */
  contested?: ReadonlySet<string>;
  /** Serials of EDR agents that feed a device through a MAC or agent-UUID match: serial to device. */
  agentElsewhere?: ReadonlyMap<string, string>;
  /** A conflict every claim of this record waits on (e.g. `USER_MISMATCH dev_…`). */
  blocked?: string | null;
  /** For a device this source created: the rest of its facts, which the source alone states. */
  own?: { name: string; os: string; user: string | null; tags: readonly string[] };
}

type Within = (tx: Tx, device: Device) => Promise<void>;

export function createSourceWrites(deps: IdentityDeps) {
  const { store, repo, clock } = deps;

  /** The device and rows after the source's statement, judged inside `tx`. */
  async function judge(tx: Executor, before: Device, source: SourceId, statement: SourceStatement) {
    const usable = usableSerials(statement.serialNumbers);
    const [serialRows, addressRows] = await Promise.all([repo.serialRows(tx, before.id), repo.addressRows(tx, before.id)]);
    const agentElsewhere = new Map([...(statement.agentElsewhere ?? new Map<string, string>())].filter(([, id]) => id !== before.id));
    const serials = sourceSerials(serialRows, source, usable, {
      others: await claimsElsewhere(tx, repo, usable, before.id),
      agentElsewhere,
      ...(statement.contested ? { contested: statement.contested } : {}),
      autoApprove: statement.autoApprove,
      claimsBlock: true,
      blocked: statement.blocked ?? null,
    });
    const held = new Set((await repo.addressHolders(tx, statement.addresses, before.id)).map((h) => h.address));
    const addresses = sourceAddresses(addressRows, source, statement.addresses, held);
    const after = withFacts(before, serialRows, serials, addresses, source, statement.serialNumbers);
    if (statement.own) {
      after.name = statement.own.name;
      after.os = statement.own.os;
      after.user = statement.own.user;
      after.tags = [...new Set(statement.own.tags)];
    }
    const changed = !sameDevice(before, after) || !sameRows(serialRows, serials) || !sameAddressRows(addressRows, addresses);
    return { after, serialRows, serials, addresses, changed };
  }

  return {
    /** A device the source creates for a node, with the node's facts, in one transaction with `within`. */
    async createFromSource(source: SourceId, statement: SourceStatement & { own: NonNullable<SourceStatement['own']> }, by: Actor, within?: Within): Promise<DeviceView> {
      const now = clock.now().toISOString();
      const shell: Device = {
        id: deps.ids('dev'),
        name: statement.own.name,
        os: statement.own.os,
        osVersion: null,
        serialNumbers: [],
        pendingSerials: [],
        addresses: [],
        reportedAddresses: [],
        user: statement.own.user,
        claimedUser: null,
        tags: [],
        source,
        createdAt: now,
        updatedAt: now,
      };
      const device = await writeTransaction(store, async (tx) => {
        await repo.insert(tx, shell, { addresses: [], serials: [] });
        const { after, serials, addresses } = await judge(tx, shell, source, statement);
        await repo.update(tx, after, { serials, addresses });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.create', target: after.id, after });
        await settleClaims(tx, repo, deps.audit, by, after.id, [], serials);
        if (within) await within(tx, after);
        return after;
      }, { rejudge: true });
      await deps.onChange?.(device.id, 'create');
      return (await deps.views(store.db, [device]))[0]!;
    },

    /**
     * The source states its facts about a device anew: its earlier rows are replaced, other sources' stay. A
     * statement that changes nothing writes nothing (no `updatedAt` bump, no audit event) except `within`.
     */
    async applySource(id: string, source: SourceId, statement: SourceStatement, by: Actor, within?: Within): Promise<{ device: DeviceView; changed: boolean }> {
      const result = await writeTransaction(store, async (tx) => {
        const before = await deps.mustGet(tx, id);
        const judged = await judge(tx, before, source, statement);
        if (!judged.changed) {
          if (within) await within(tx, before);
          return { device: before, changed: false };
        }
        const after = { ...judged.after, updatedAt: clock.now().toISOString() };
        await repo.update(tx, after, { serials: judged.serials, addresses: judged.addresses });
        await deps.audit.record(tx, { ...auditBase(by), action: 'device.source.update', target: id, before, after });
        await settleClaims(tx, repo, deps.audit, by, id, judged.serialRows, judged.serials);
        if (within) await within(tx, after);
        return { device: after, changed: true };
      }, { rejudge: true });
      if (result.changed) await deps.onChange?.(id, 'update');
      return { device: (await deps.views(store.db, [result.device]))[0]!, changed: result.changed };
    },

    /** The source no longer feeds the device: what it brought (serials, addresses) leaves, in one transaction with `within`. */
    async withdrawSource(id: string, source: SourceId, by: Actor, within?: (tx: Tx) => Promise<void>): Promise<void> {
      const changed = await writeTransaction(store, async (tx) => {
        const before = await repo.get(tx, id);
        if (!before) {
          if (within) await within(tx);
          return false;
        }
        const [serialRows, addressRows] = await Promise.all([repo.serialRows(tx, id), repo.addressRows(tx, id)]);
        const serials = withoutSource(serialRows, source);
        const addresses = withoutSource(addressRows, source);
        const after = { ...withFacts(before, serialRows, serials, addresses, source, []), updatedAt: clock.now().toISOString() };
        const changed = serials.length !== serialRows.length || addresses.length !== addressRows.length || !sameDevice(before, after);
        if (changed) {
          await repo.update(tx, after, { serials, addresses });
          await deps.audit.record(tx, { ...auditBase(by), action: 'device.source.withdraw', target: id, before, after });
        }
        if (within) await within(tx);
        return changed;
      });
      if (changed) await deps.onChange?.(id, 'update');
    },
  };
}

export type SourceWrites = ReturnType<typeof createSourceWrites>;

/**
 * The device's shown serials and addresses after `source` replaced its rows: serials it brought before and no longer
 * states leave the list, the ones it states now join it; identifying addresses are the rows'.
 */
function withFacts(before: Device, oldRows: readonly SerialRow[], rows: readonly SerialRow[], addresses: readonly AddressRow[], source: FactSource, stated: readonly string[]): Device {
  const kept = new Set(rows.map((r) => r.serial));
  const dropped = new Set(oldRows.filter((r) => r.source === source && !kept.has(r.serial)).map((r) => r.serial));
  const shown = before.serialNumbers.filter((s) => {
    const u = usableSerial(s);
    return u === null || !dropped.has(u);
  });
  return {
    ...before,
    serialNumbers: [...new Set([...shown, ...stated.map((s) => s.trim())])],
    pendingSerials: rows.filter((r) => r.status === 'pending').map((r) => r.serial).sort(),
    addresses: addresses.map((a) => a.address),
  };
}

const key = (values: readonly string[]) => [...values].sort().join('\n');

function sameDevice(a: Device, b: Device): boolean {
  return (
    a.name === b.name &&
    a.os === b.os &&
    a.user === b.user &&
    key(a.tags) === key(b.tags) &&
    key(a.serialNumbers) === key(b.serialNumbers) &&
    key(a.pendingSerials) === key(b.pendingSerials) &&
    key(a.addresses) === key(b.addresses)
  );
}

const sameRows = (a: readonly SerialRow[], b: readonly SerialRow[]) =>
  key(a.map((r) => `${r.serial}|${r.status}|${r.source}|${r.note ?? ''}`)) === key(b.map((r) => `${r.serial}|${r.status}|${r.source}|${r.note ?? ''}`));
const sameAddressRows = (a: readonly AddressRow[], b: readonly AddressRow[]) => key(a.map((r) => `${r.address}|${r.source}`)) === key(b.map((r) => `${r.address}|${r.source}`));
