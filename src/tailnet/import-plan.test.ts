/**
 * A node's facts become device facts the devices service accepts; a node whose facts fail their check (control
 * characters, lengths, address syntax) is skipped with a reason; a node never links to another user's device.
 */
import { describe, expect, it } from 'vitest';
import { checkNode, factsFromNode, linkConflict, normalizeTailscaleOs, printableNodeId } from './import-plan.ts';
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

  it('a tagged node is owned by its tags: no user', () => {
    const f = factsFromNode(node({ tags: ['tag:server'] }));
    expect(f.user).toBeNull();
    expect(f.tags).toEqual(['tag:server']);
  });
});

describe('a node is checked before anything of it is stored', () => {
  it.each([
    ['a NUL byte in its OS', { os: 'mac\u0000OS' }, 'os contains a control character'],
    ['a NUL byte in a serial', { serialNumbers: ['C02\u0000X'] }, 'serialNumbers[0] contains a control character'],
    ['a NUL byte in its user', { user: 'alice\u0000@example.com' }, 'user contains a control character'],
    ['an escape in its hostname', { hostname: 'x\u001b[31m' }, 'hostname contains a control character'],
    ['a hostname too long', { hostname: 'h'.repeat(256) }, 'hostname is longer than 255 characters'],
    ['a serial too long', { serialNumbers: ['S'.repeat(129)] }, 'serialNumbers[0] is longer than 128 characters'],
    ['an address that is no IP', { addresses: ['100.64.0.1', 'not-an-ip'] }, 'address "not-an-ip" is not an IP address'],
    ['an address out of range', { addresses: ['100.64.0.256'] }, 'address "100.64.0.256" is not an IP address'],
    ['a malformed tag', { tags: ['tag:bad tag'] }, 'tag "tag:bad tag" is not tag:<name>'],
    ['a node id with a NUL byte', { nodeId: 'n\u0000' }, 'nodeId is not a Tailscale node id (1–100 letters, digits, ".", "_", ":" or "-")'],
  ] as const)('%s: skipped with the reason', (_name, over, reason) => {
    expect(checkNode(node(over as Partial<TailscaleNode>))).toEqual({ ok: false, reason });
  });

  it('a healthy node passes with its facts', () => expect(checkNode(node())).toEqual({ ok: true, facts: factsFromNode(node()) }));

  it('a node id is shown with its control characters escaped', () => expect(printableNodeId('n\u0000x')).toBe('n\\u0000x'));
});

describe('a node links to a device that existed before it only when their users agree', () => {
  it.each([
    ['same user', 'alice@example.com', 'alice@example.com', null],
    ['the device has no user', null, 'alice@example.com', null],
    ['the node has no user (tagged)', 'alice@example.com', null, null],
    ['users differ', 'alice@example.com', 'mallory@example.com', 'USER_MISMATCH dev_1'],
  ] as const)('%s', (_name, deviceUser, nodeUser, expected) => {
    const facts = { ...factsFromNode(node()), user: nodeUser };
    expect(linkConflict({ id: 'dev_1', user: deviceUser }, facts)).toBe(expected);
  });
});
