/**
 * The rules for what postern believes about a device, whoever writes it (pure). Admins set anything. A device's
 * own agent may report its name, OS, serials and addresses, and nothing it says is taken on its word:
 * - a serial it names is `pending` until an admin approves it (or its enrollment key approves serials), and only
 *   approved serials match SentinelOne agents;
 * - an address it reports identifies it only when postern observed the agent connecting from that address;
 * - a user it names is only a claim.
 * Serials and addresses an admin set are never dropped by a device's report.
 */

export type SerialStatus = 'approved' | 'pending';
export type FactSource = 'admin' | 'device';

export interface SerialRow {
  serial: string;
  status: SerialStatus;
  source: FactSource;
}

export type AddressSource = 'admin' | 'observed';

export interface AddressRow {
  address: string;
  source: AddressSource;
}

/** Normalised, usable serials (placeholders already removed by the caller) for an admin write: all approved. */
export function adminSerials(usable: readonly string[]): SerialRow[] {
  return [...new Set(usable)].map((serial) => ({ serial, status: 'approved', source: 'admin' }));
}

/**
 * Serials after a device's own report: admin rows stay; each reported serial keeps the status it already had,
 * and a new one is approved only when `autoApprove` (its enrollment key allows it), else pending. Device-named
 * serials it no longer reports are dropped.
 */
export function reportedSerials(existing: readonly SerialRow[], usable: readonly string[], autoApprove: boolean): SerialRow[] {
  const have = new Map(existing.map((r) => [r.serial, r]));
  const out: SerialRow[] = existing.filter((r) => r.source === 'admin');
  const kept = new Set(out.map((r) => r.serial));
  for (const serial of new Set(usable)) {
    if (kept.has(serial)) continue;
    const before = have.get(serial);
    out.push(before ?? { serial, status: autoApprove ? 'approved' : 'pending', source: 'device' });
    kept.add(serial);
  }
  return out;
}

/** Every pending serial approved. */
export const approveSerials = (rows: readonly SerialRow[]): SerialRow[] => rows.map((r) => ({ ...r, status: 'approved' }));

/**
 * Addresses after a device's own report: admin-set addresses stay; a reported address identifies the device
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
  const identifying: AddressRow[] = existing.filter((r) => r.source === 'admin');
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
