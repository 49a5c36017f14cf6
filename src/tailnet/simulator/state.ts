/**
 * The Tailscale simulator's tailnet: seeded, realistic nodes (MagicDNS names, 100.x and fd7a: addresses, users,
 * tags, serial numbers from identity collection, some nodes opted out), the custom posture attributes written to
 * them, the credentials it accepts, armed faults and a log of every request. Tests change it directly.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';

export interface SimNode {
  id: string;
  nodeId: string;
  name: string;
  hostname: string;
  user: string;
  os: string;
  addresses: string[];
  tags: string[];
  /** null: identity collection never ran on this node (no `postureIdentity`). */
  serialNumbers: string[] | null;
  /** The node did not opt in to identity collection (`postureIdentity: {disabled: true}`). */
  postureDisabled?: boolean;
  isExternal?: boolean;
  lastSeen?: string;
}

export interface SimAttribute {
  value: string | number | boolean;
  expiry: string | null;
}

export interface SimFault {
  /** The status to answer with; with `kind`, the request is answered that way instead. */
  status: number;
  /**
   * `malformed`: 200 with a truncated JSON body; `timeout`: never answered (logged at once with status 0; the
   * connection closes with the simulator, or after `holdMs` it is answered normally).
   */
  kind?: 'malformed' | 'timeout';
  holdMs?: number;
  /** How many matching requests it answers before it disarms. */
  times: number;
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  retryAfterSeconds?: number;
}

export interface SimRequest {
  at: string;
  method: string;
  path: string;
  status: number;
}

const OSES = [['macOS', 'mbp'], ['windows', 'desktop'], ['linux', 'server'], ['iOS', 'iphone'], ['android', 'pixel']] as const;
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateNodesOptions {
  count: number;
  seed?: number;
  /** Serial numbers to give the nodes in order (e.g. of simulated EDR agents); others get random ones. */
  serials?: readonly string[];
  domain?: string;
}

/** Seeded nodes: mostly laptops and desktops with serials, a few servers tagged and owned by their tags. */
export function generateNodes(options: GenerateNodesOptions): SimNode[] {
  const rnd = mulberry32(options.seed ?? 1);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)]!;
  const domain = options.domain ?? 'tail3f9e2.ts.net';
  const nodes: SimNode[] = [];
  for (let i = 0; i < options.count; i++) {
    const [os, kind] = pick(OSES);
    const user = `${pick(USERS)}@example.com`;
    const server = os === 'linux' && rnd() < 0.6;
    const hostname = `${server ? 'srv' : user.split('@')[0]}-${kind}-${i + 1}`;
    const serial = options.serials?.[i] ?? Array.from({ length: 12 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[Math.floor(rnd() * 34)]).join('');
    const roll = rnd();
    nodes.push({
      id: String(48213370991 + i * 7919),
      nodeId: `n${(i + 1).toString(36).toUpperCase().padStart(4, '0')}${Math.floor(rnd() * 1e6).toString(36).toUpperCase()}CNTRL`,
      name: `${hostname}.${domain}`,
      hostname,
      user,
      os,
      addresses: [`100.${64 + (i >> 16)}.${(i >> 8) & 255}.${(i & 255) + 1}`, `fd7a:115c:a1e0::${(i + 1).toString(16)}`],
      tags: server ? ['tag:server', 'tag:production'] : [],
      serialNumbers: roll < 0.85 ? [serial] : roll < 0.93 ? null : [],
      ...(roll >= 0.93 ? { postureDisabled: true } : {}),
    });
  }
  return nodes;
}

export class TailscaleSimState {
  readonly nodes = new Map<string, SimNode>();
  readonly attributes = new Map<string, Map<string, SimAttribute>>();
  /** The type each custom key took with its first value, tailnet-wide and case-insensitive, as Tailscale does. */
  readonly keyTypes = new Map<string, string>();
  readonly requests: SimRequest[] = [];
  readonly faults: SimFault[] = [];
  /** Writes the simulator refused because they broke Tailscale's key or value rules. */
  readonly violations: string[] = [];
  readonly apiKeys = new Set<string>();
  readonly oauthClients = new Map<string, string>();
  readonly accessTokens = new Set<string>();

  constructor(
    readonly tailnetId: string,
    readonly clock: Clock,
    nodes: readonly SimNode[],
  ) {
    for (const n of nodes) this.nodes.set(n.nodeId, { ...n });
  }

  listNodes(): SimNode[] {
    return [...this.nodes.values()];
  }

  addNode(node: SimNode): void {
    this.nodes.set(node.nodeId, { ...node });
  }

  removeNode(nodeId: string): void {
    this.nodes.delete(nodeId);
    this.attributes.delete(nodeId);
  }

  updateNode(nodeId: string, change: Partial<SimNode>): void {
    const n = this.nodes.get(nodeId);
    if (n) this.nodes.set(nodeId, { ...n, ...change });
  }

  /** A node's live custom attributes (expired ones dropped, as Tailscale does). */
  attributesOf(nodeId: string): Record<string, SimAttribute> {
    const out: Record<string, SimAttribute> = {};
    for (const [k, v] of this.attributes.get(nodeId) ?? []) if (!v.expiry || Date.parse(v.expiry) > this.clock.nowMs()) out[k] = v;
    return out;
  }

  /** Arms a fault for the next matching requests. */
  failNext(fault: SimFault): void {
    this.faults.push({ ...fault });
  }

  /** Writes to attributes (POST and DELETE) logged so far. */
  attributeWrites(): SimRequest[] {
    return this.requests.filter((r) => r.path.includes('/attributes/') && (r.method === 'POST' || r.method === 'DELETE'));
  }

  issueAccessToken(): string {
    const token = `tskey-access-${randomBytes(12).toString('hex')}`;
    this.accessTokens.add(token);
    return token;
  }
}
