/**
 * The rules for what postern believes about a device, whoever states it (pure). Every fact is a claim with a
 * provenance: `admin`, the device's own agent (`device`, addresses it was seen at are `observed`), or a device
 * source (`tailnet:<id>`). Admins set anything. Nothing another source says is taken on its word:
 * - a serial it names is `pending` until approved (by an admin, an enrollment key that approves serials, or a
 *   tailnet with `autoApproveSerials` when no rule below is broken), and only approved serials match EDR agents;
 * - a serial is approved on one device at most; several devices may hold pending claims on it, and a claim never
 *   blocks or moves another device's serial: it waits with a note saying why (`claimNote`);
 * - an address a device reports identifies it only when postern observed the agent connecting from it; one a
 *   tailnet states identifies the node's device unless another device already holds it;
 * - a user a device names is only a claim.
 * Each source's facts are replaced only by that source, and leave with it; admin facts stay.
 */

export type SerialStatus = 'approved' | 'pending';
/** Who stated a fact. */
export type FactSource = 'admin' | 'device' | `tailnet:${string}`;

export interface SerialRow {
  serial: string;
  status: SerialStatus;
  source: FactSource;
  /** Why a pending claim waits beyond an admin's approval (a conflict); null or absent when nothing conflicts. */
  note?: string | null;
}

export type AddressSource = 'admin' | 'observed' | `tailnet:${string}`;

export interface AddressRow {
  address: string;
  source: AddressSource;
}

/** Stable codes of the conflicts a claim can wait on. */
export const CONFLICT_CODES = {
  SERIAL_HELD: 'Another device holds this serial (approved).',
  SERIAL_CLAIMED: 'Another device also claims this serial.',
  SERIAL_CONTESTED: 'Several nodes of the tailnet present this serial.',
  USER_MISMATCH: "The node's user differs from the user of the device that holds this serial.",
  AGENT_ELSEWHERE: 'The EDR agent with this serial already feeds another device.',
  DEVICE_LINKED: 'The device that holds this serial is already linked to another node.',
} as const;
export type ConflictCode = keyof typeof CONFLICT_CODES;

/** A conflict note as stored: `CODE dev_…` (the other device, when there is one). */
export const conflictNote = (code: ConflictCode, deviceId: string | null) => (deviceId ? `${code} ${deviceId}` : code);

export function parseConflictNote(note: string): { code: ConflictCode; deviceId: string | null; message: string } {
  const [code, deviceId] = note.split(' ') as [ConflictCode, string | undefined];
  const base = CONFLICT_CODES[code] ?? note;
  return { code, deviceId: deviceId ?? null, message: deviceId ? `${base} (${deviceId})` : base };
}

/** What a claim on serials is judged against: the other devices' rows and the state of the whole batch. */
export interface ClaimContext {
  /** Other devices' rows on the claimed serials. */
  others: ReadonlyMap<string, readonly { deviceId: string; status: SerialStatus }[]>;
  /** Serials whose EDR agent already feeds another device: serial to that device. */
  agentElsewhere?: ReadonlyMap<string, string>;
  /** Serials another record of the same batch (another node of the tailnet) also presents. */
  contested?: ReadonlySet<string>;
  /** Whether a claim that breaks no rule is approved at once. */
  autoApprove: boolean;
  /** Whether another device's pending claim keeps this one from auto-approval (tailnets: yes; an enrollment key: no). */
  claimsBlock: boolean;
  /** A conflict every claim of this record waits on (e.g. `USER_MISMATCH dev_…`). */
  blocked?: string | null;
}

/** Why a claim on `serial` may not be approved automatically, or null when no rule is broken. */
export function claimConflict(serial: string, ctx: ClaimContext): string | null {
  const others = ctx.others.get(serial) ?? [];
  const held = others.find((o) => o.status === 'approved');
  if (held) return conflictNote('SERIAL_HELD', held.deviceId);
  if (ctx.blocked) return ctx.blocked;
  if (ctx.contested?.has(serial)) return conflictNote('SERIAL_CONTESTED', null);
  const agent = ctx.agentElsewhere?.get(serial);
  if (agent) return conflictNote('AGENT_ELSEWHERE', agent);
  const claimed = others.find((o) => o.status === 'pending');
  if (claimed && ctx.claimsBlock) return conflictNote('SERIAL_CLAIMED', claimed.deviceId);
  return null;
}

/**
 * A source's serials after it stated `usable` (normalised, placeholders removed): rows of other sources stay
 * untouched; this source's rows it no longer states are dropped; an approved row stays approved; a new or pending
 * claim is judged again (`claimConflict`) and approved only when `autoApprove` and nothing conflicts, else it waits
 * with its note. A serial another source already put on this device is not claimed twice.
 */
export function sourceSerials(existing: readonly SerialRow[], source: FactSource, usable: readonly string[], ctx: ClaimContext): SerialRow[] {
  const out: SerialRow[] = existing.filter((r) => r.source !== source);
  const kept = new Set(out.map((r) => r.serial));
  const mine = new Map(existing.filter((r) => r.source === source).map((r) => [r.serial, r]));
  for (const serial of new Set(usable)) {
    if (kept.has(serial)) continue;
    kept.add(serial);
    const before = mine.get(serial);
    if (before?.status === 'approved') {
      out.push({ serial, status: 'approved', source, note: null });
      continue;
    }
    const note = claimConflict(serial, ctx);
    out.push({ serial, status: ctx.autoApprove && note === null ? 'approved' : 'pending', source, note });
  }
  return out;
}

/** A source's addresses after it stated `stated`: other sources' rows stay; an address another device holds is not taken. */
export function sourceAddresses(existing: readonly AddressRow[], source: AddressSource, stated: readonly string[], heldElsewhere: ReadonlySet<string>): AddressRow[] {
  const out: AddressRow[] = existing.filter((r) => r.source !== source);
  const kept = new Set(out.map((r) => r.address));
  for (const address of new Set(stated)) {
    if (kept.has(address) || heldElsewhere.has(address)) continue;
    kept.add(address);
    out.push({ address, source });
  }
  return out;
}

/** What remains of a device's rows when a source leaves: everything the others stated. */
export const withoutSource = <R extends { source: string }>(rows: readonly R[], source: string): R[] => rows.filter((r) => r.source !== source);

/** Normalised, usable serials (placeholders already removed by the caller) for an admin write: all approved. */
export function adminSerials(usable: readonly string[]): SerialRow[] {
  return [...new Set(usable)].map((serial) => ({ serial, status: 'approved', source: 'admin' }));
}

/**
 * Serials after a device's own report: other sources' rows stay; each reported serial keeps the status it already
 * had, and a new one is approved only when `autoApprove` (its enrollment key allows it) and no other device holds
 * it approved, else it waits. Device-named serials it no longer reports are dropped. Another device's pending
 * claim never blocks it (claims never block).
 */
export function reportedSerials(
  existing: readonly SerialRow[],
  usable: readonly string[],
  autoApprove: boolean,
  others: ClaimContext['others'] = new Map(),
): SerialRow[] {
  return sourceSerials(existing, 'device', usable, { others, autoApprove, claimsBlock: false });
}

/** An S1 agent UUID as S1 writes it: 32 lower-case hex digits (dashes dropped); null when empty. */
export function agentUuidKey(value: string | null | undefined): string | null {
  const v = value?.trim().toLowerCase().replace(/-/g, '') ?? '';
  return v === '' ? null : v;
}

/** A device's agent-UUID fields: the one that matches (`s1AgentUuid`) and the one its agent claims. */
export interface AgentUuidState {
  s1AgentUuid: string | null;
  reportedS1AgentUuid: string | null;
}

/**
 * The agent-UUID fields after the device's agent reported `reported` (undefined: it said nothing, nothing changes).
 * The UUID is a claim like a reported MAC: it waits in `reportedS1AgentUuid` (shown, never matched) until an admin
 * approves it, unless `autoApprove` (an enrollment key that approves claims), the device has no UUID yet and no
 * other device holds this one (`heldElsewhere`). A UUID the device already matches by is not claimed again; one
 * it no longer reports stops waiting; an approved UUID (an admin's) is never changed by a report.
 */
export function reportedAgentUuid(before: AgentUuidState, reported: string | null | undefined, autoApprove: boolean, heldElsewhere: boolean): AgentUuidState {
  if (reported === undefined) return before;
  const uuid = agentUuidKey(reported);
  if (uuid === null || uuid === before.s1AgentUuid) return { s1AgentUuid: before.s1AgentUuid, reportedS1AgentUuid: null };
  if (autoApprove && !heldElsewhere && before.s1AgentUuid === null) return { s1AgentUuid: uuid, reportedS1AgentUuid: null };
  return { s1AgentUuid: before.s1AgentUuid, reportedS1AgentUuid: uuid };
}

/** Every pending serial approved. */
export const approveSerials = (rows: readonly SerialRow[]): SerialRow[] => rows.map((r) => ({ ...r, status: 'approved', note: null }));

/**
 * Addresses after a device's own report: addresses an admin or another source set stay; a reported address identifies the device
 * (`observed`) only when it is the address postern saw the agent connect from and no other device holds it; the
 * rest are kept as merely reported. (An address another device holds is never taken by a report: that device
 * gives it up when its own agent stops reporting it, and an admin decides otherwise.)
 */
export function reportedAddresses(
  existing: readonly AddressRow[],
  reported: readonly string[],
  observed: string | null,
  heldElsewhere: ReadonlySet<string> = new Set(),
): { identifying: AddressRow[]; reportedOnly: string[] } {
  const identifying: AddressRow[] = existing.filter((r) => r.source !== 'observed');
  const held = new Set(identifying.map((r) => r.address));
  const reportedOnly: string[] = [];
  for (const address of new Set(reported)) {
    if (held.has(address)) continue;
    if (observed !== null && sameAddress(address, observed) && !heldElsewhere.has(address)) {
      identifying.push({ address, source: 'observed' });
      held.add(address);
    } else reportedOnly.push(address);
  }
  return { identifying, reportedOnly };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address; IPv6 compares case-insensitively. */
export function sameAddress(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return norm(a) === norm(b);
}

/**
 * Who the device belongs to at enrollment: a user the enrollment key is bound to, else one proven by an identity
 * provider login, else nobody. A user the device names itself that differs is kept only as a claim.
 */
export function enrollmentUser(keyUser: string | null, provenUser: string | null, named: string | null): { user: string | null; claimedUser: string | null } {
  const user = lower(keyUser) ?? lower(provenUser);
  const claim = lower(named);
  return { user, claimedUser: claim !== null && claim !== user ? claim : null };
}

const lower = (s: string | null) => (s === null || s === '' ? null : s.toLowerCase());

const OS_ALIASES: Record<string, string> = {
  macos: 'macos',
  mac: 'macos',
  macosx: 'macos',
  osx: 'macos',
  darwin: 'macos',
  windows: 'windows',
  win: 'windows',
  win32: 'windows',
  win64: 'windows',
  microsoftwindows: 'windows',
  linux: 'linux',
  gnulinux: 'linux',
  ios: 'ios',
  iphoneos: 'ios',
  ipados: 'ios',
  android: 'android',
  chromeos: 'chromeos',
  chromiumos: 'chromeos',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
};

/**
 * The canonical lower-case OS name `node:os` holds (`macos`, `windows`, `linux`, `ios`, `android`, …) for any
 * common spelling, case-insensitively: `macOS`, `Mac OS X`, `darwin`, `Windows`, `win32`, `GNU/Linux`. Another
 * simple name is kept lower-cased; anything else is null (refused).
 */
export function canonicalOs(input: string): string | null {
  const squeezed = input.trim().toLowerCase().replace(/[\s_/.-]+/g, '');
  const known = OS_ALIASES[squeezed];
  if (known) return known;
  const simple = input.trim().toLowerCase();
  return /^[a-z][a-z0-9_-]{0,31}$/.test(simple) ? simple : null;
}
