/**
 * A node's facts become device facts the devices service accepts, and a device the source did not create keeps
 * its own name, OS, user and tags: only the node's addresses and serials are added and kept current.
 */
import { describe, expect, it } from 'vitest';
import { devicePatchFor, factsFromNode, normalizeTailscaleOs } from './import-plan.ts';
import type { TailscaleNode } from './types.ts';

const node = (over: Partial<TailscaleNode> = {}): TailscaleNode => ({
  id: '1',
  nodeId: 'nABCCNTRL',
  name: 'alice-mbp.tail3f9e2.ts.net',
  hostname: 'alice-mbp',
  user: 'alice@example.com',
  os: 'macOS',
  addresses: ['100.101.42.7', 'fd7a:115c:a1e0::9c01:2a07'],
  tags: [],
  serialNumbers: ['C02ZK1ABMD6T'],
  postureDisabled: false,
  isExternal: false,
  ...over,
});

describe('facts from a node', () => {
  it.each([
    ['macOS', 'macos'],
    ['windows', 'windows'],
    ['iOS', 'ios'],
    ['linux', 'linux'],
    ['', 'unknown'],
  ])('OS %j is %j', (os, name) => expect(normalizeTailscaleOs(os)).toBe(name));

  it('takes name, OS, Tailscale IPs, user and serials', () => {
    expect(factsFromNode(node())).toEqual({
      name: 'alice-mbp',
      os: 'macos',
      addresses: ['100.101.42.7', 'fd7a:115c:a1e0::9c01:2a07'],
      user: 'alice@example.com',
      tags: [],
      serialNumbers: ['C02ZK1ABMD6T'],
    });
  });

  it('a tagged node is owned by its tags: no user; malformed tags and addresses are dropped', () => {
    const f = factsFromNode(node({ tags: ['tag:server', 'tag:bad tag'], addresses: ['100.64.0.1', 'not-an-ip'] }));
    expect(f.user).toBeNull();
    expect(f.tags).toEqual(['tag:server']);
    expect(f.addresses).toEqual(['100.64.0.1']);
  });
});

describe('the patch for a linked device', () => {
  const device = { name: 'alice-mbp', os: 'macos', addresses: ['100.101.42.7', 'fd7a:115c:a1e0::9c01:2a07'], user: 'alice@example.com', tags: [], serialNumbers: ['C02ZK1ABMD6T'] };

  it('nothing when nothing changed', () => expect(devicePatchFor(device, factsFromNode(node()), factsFromNode(node()), true)).toBeNull());

  it('a device the source created follows its node', () => {
    expect(devicePatchFor(device, factsFromNode(node({ hostname: 'alice-new', addresses: ['100.64.0.9'] })), null, true)).toEqual({ name: 'alice-new', addresses: ['100.64.0.9'] });
  });

  it('a device that existed before keeps its own facts and swaps only the addresses the node reported', () => {
    const own = { ...device, name: 'Alice laptop', user: 'alice@corp.example', tags: ['tag:laptop'], addresses: ['10.0.0.5', '100.101.42.7'] };
    const before = factsFromNode(node({ addresses: ['100.101.42.7'] }));
    const patch = devicePatchFor(own, factsFromNode(node({ hostname: 'x', user: 'mallory@example.com', addresses: ['100.64.1.1'] })), before, false);
    expect(patch).toEqual({ addresses: ['10.0.0.5', '100.64.1.1'] });
  });
});
