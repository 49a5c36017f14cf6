/**
 * Import from Tailscale (pure): the device facts a node reports, and the change a linked device needs. A device
 * this source created takes every fact from its node; a device that existed before (linked by serial number)
 * keeps its own name, OS, user and tags and only gains the node's addresses and serials, replacing those the node
 * reported last time.
 */
import type { DevicePatch } from '../devices/index.ts';
import type { TailscaleNode } from './types.ts';

export interface NodeFacts {
  name: string;
  os: string;
  addresses: string[];
  user: string | null;
  tags: string[];
  serialNumbers: string[];
}

/** The facts of a device as far as this source compares them. */
export type DeviceFactsRecord = NodeFacts;

const OS_NAMES: Record<string, string> = { macos: 'macos', darwin: 'macos', windows: 'windows', linux: 'linux', ios: 'ios', ipados: 'ios', android: 'android', freebsd: 'freebsd', openbsd: 'openbsd', tvos: 'tvos' };

/** Tailscale's `macOS`, `windows`, `iOS`… as postern's lower-case OS names. */
export function normalizeTailscaleOs(os: string): string {
  const key = os.trim().toLowerCase().replace(/\s+/g, '');
  return OS_NAMES[key] ?? (key === '' ? 'unknown' : key.slice(0, 40));
}

const TAG = /^tag:[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}$/;

const uniq = (values: readonly string[]) => [...new Set(values)];

export function factsFromNode(node: TailscaleNode): NodeFacts {
  const shortName = node.hostname.trim() || node.name.split('.')[0]?.trim() || node.nodeId;
  return {
    name: shortName.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100) || node.nodeId,
    os: normalizeTailscaleOs(node.os),
    addresses: uniq(node.addresses.filter((a) => IPV4.test(a) || (a.includes(':') && IPV6.test(a)))),
    // A tagged node is owned by its tags; its `user` is only who registered it, so postern takes no user from it.
    user: node.tags.length === 0 && EMAIL.test(node.user) ? node.user.toLowerCase() : null,
    tags: uniq(node.tags.filter((t) => TAG.test(t))),
    serialNumbers: uniq(node.serialNumbers.map((s) => s.trim()).filter((s) => s !== '' && s.length <= 200)),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** `current` without what the node reported before, plus what it reports now. */
function merged(current: readonly string[], before: readonly string[], now: readonly string[]): string[] {
  const old = new Set(before);
  return uniq([...current.filter((v) => !old.has(v)), ...now]);
}

/** The patch that brings `device` in line with the node, or null when nothing changed. */
export function devicePatchFor(device: DeviceFactsRecord, facts: NodeFacts, reportedBefore: NodeFacts | null, createdBySource: boolean): DevicePatch | null {
  const patch: DevicePatch = {};
  if (createdBySource) {
    if (device.name !== facts.name) patch.name = facts.name;
    if (device.os !== facts.os) patch.os = facts.os;
    if (device.user !== facts.user) patch.user = facts.user;
    if (!sameSet(device.tags, facts.tags)) patch.tags = facts.tags;
    if (!sameSet(device.addresses, facts.addresses)) patch.addresses = facts.addresses;
    if (!sameSet(device.serialNumbers, facts.serialNumbers)) patch.serialNumbers = facts.serialNumbers;
  } else {
    const addresses = merged(device.addresses, reportedBefore?.addresses ?? [], facts.addresses);
    const serials = merged(device.serialNumbers, reportedBefore?.serialNumbers ?? [], facts.serialNumbers);
    if (!sameSet(device.addresses, addresses)) patch.addresses = addresses;
    if (!sameSet(device.serialNumbers, serials)) patch.serialNumbers = serials;
  }
  return Object.keys(patch).length > 0 ? patch : null;
}
