/**
 * Import from Tailscale (pure): a node's facts, checked before anything of it is stored, and the rule for linking a
 * node to a device that existed before it. The tailnet states a node's id, addresses, tags and (untagged) login
 * user; the serials are the node's own claim and go through the devices' identity rules as such.
 */
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
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}$/;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address (no zone, no brackets), decided without any I/O module. */
function isIpAddress(value: string): boolean {
  if (IPV4.test(value)) return true;
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(value) || !value.includes(':')) return false;
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

const uniq = (values: readonly string[]) => [...new Set(values)];

export function factsFromNode(node: TailscaleNode): NodeFacts {
  const shortName = node.hostname.trim() || node.name.split('.')[0]?.trim() || node.nodeId;
  return {
    name: shortName.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100) || node.nodeId,
    os: normalizeTailscaleOs(node.os),
    addresses: uniq(node.addresses.filter((a) => isIpAddress(a))),
    // A tagged node is owned by its tags; its `user` is only who registered it, so postern takes no user from it.
    user: node.tags.length === 0 && EMAIL.test(node.user) ? node.user.toLowerCase() : null,
    tags: uniq(node.tags.filter((t) => TAG.test(t))),
    serialNumbers: uniq(node.serialNumbers.map((s) => s.trim()).filter((s) => s !== '' && s.length <= 200)),
  };
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NODE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Why a node cannot be imported, or null. */
export type NodeCheck = { ok: true; facts: NodeFacts } | { ok: false; reason: string };

/**
 * A node's facts checked before anything of it is stored, the same way on every engine: no control character
 * (NUL included) in any field, every field within its length, every address an IP address. A node that fails is
 * skipped with the reason; the other nodes sync.
 */
export function checkNode(node: TailscaleNode): NodeCheck {
  const problem = nodeProblem(node);
  return problem ? { ok: false, reason: problem } : { ok: true, facts: factsFromNode(node) };
}

function nodeProblem(node: TailscaleNode): string | null {
  if (!NODE_ID.test(node.nodeId)) return 'nodeId is not a Tailscale node id (1–100 letters, digits, ".", "_", ":" or "-")';
  const fields: [string, string, number][] = [
    ['id', node.id, 100],
    ['name', node.name, 255],
    ['hostname', node.hostname, 255],
    ['user', node.user, 254],
    ['os', node.os, 64],
    ...node.addresses.map((a, i): [string, string, number] => [`addresses[${i}]`, a, 64]),
    ...node.tags.map((t, i): [string, string, number] => [`tags[${i}]`, t, 80]),
    ...node.serialNumbers.map((s, i): [string, string, number] => [`serialNumbers[${i}]`, s, 128]),
  ];
  for (const [field, value, max] of fields) {
    if (typeof value !== 'string') return `${field} is not text`;
    if (CONTROL.test(value)) return `${field} contains a control character`;
    if (value.length > max) return `${field} is longer than ${max} characters`;
  }
  if (node.addresses.length > 16) return 'more than 16 addresses';
  if (node.tags.length > 64) return 'more than 64 tags';
  if (node.serialNumbers.length > 16) return 'more than 16 serial numbers';
  const bad = node.addresses.find((a) => !isIpAddress(a));
  if (bad !== undefined) return `address ${JSON.stringify(bad)} is not an IP address`;
  const badTag = node.tags.find((t) => !TAG.test(t));
  if (badTag !== undefined) return `tag ${JSON.stringify(badTag)} is not tag:<name>`;
  return null;
}

/** A node id as a reason may show it: control characters escaped, bounded. */
export const printableNodeId = (nodeId: string) =>
  String(nodeId)
    .slice(0, 100)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Whether a node may feed a device that existed before it (found by its serial or address): never when the node's
 * user and the device's user are both known and differ. Answers the conflict, or null.
 */
export function linkConflict(device: { id: string; user: string | null }, facts: NodeFacts): string | null {
  return device.user !== null && facts.user !== null && device.user.toLowerCase() !== facts.user ? `USER_MISMATCH ${device.id}` : null;
}
