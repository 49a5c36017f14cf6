/**
 * `postern policy apply` against a real server: a good file becomes the next version, every problem of a bad one
 * prints as FILE:LINE:COL CODE message with exit status 1, and a dry run prints who gains and loses what without
 * saving anything.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { DESIGN_EXAMPLE_POLICY } from '../../policy/index.ts';
import { applyPolicyFile, table } from './policy-apply.ts';
import { remoteOptions } from './remote.ts';

let h: Harness;
let server: string;
const dir = mkdtempSync(join(tmpdir(), 'postern-apply-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const OPEN = `{
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"] }],
}`;

beforeAll(async () => {
  h = await startHarness();
  server = await h.postern.listen();
  await h.request('POST', '/v1/devices', { body: { name: 'tux', os: 'linux', user: 'a@example.com' } });
  await h.request('POST', '/v1/devices', { body: { name: 'kiosk', os: 'linux' } });
});
afterAll(async () => h?.close());

const remote = () => ({ server, token: ADMIN_TOKEN });

describe('postern policy apply', () => {
  it('stores a good file as the next version, and says so when it is already in force', async () => {
    const path = file('design.hujson', DESIGN_EXAMPLE_POLICY);
    const first = capture();
    expect(await applyPolicyFile(path, { remote: remote() }, first.io)).toBe(0);
    expect(first.out).toEqual([`Applied ${path} as policy version 1 (was 0); 1 test assertion passed.`]);
    const again = capture();
    expect(await applyPolicyFile(path, { remote: remote() }, again.io)).toBe(0);
    expect(again.out).toEqual([`${path} is already the policy in force (version 1); nothing changed.`]);
  });

  it('prints every problem of a bad file as FILE:LINE:COL CODE message and changes nothing', async () => {
    const path = file('bad.hujson', '{\n  "grants": [\n    { "src": ["nobody"], "dst": ["*"], "srcPosture": ["posture:x"] },\n  ],\n}\n');
    const c = capture();
    expect(await applyPolicyFile(path, { remote: remote() }, c.io)).toBe(1);
    expect(c.out).toEqual([
      `${path}:3:15 INVALID_SRC "nobody" is not a valid src; use *, autogroup:member, a user email, group:<name> or tag:<name>`,
      expect.stringMatching(new RegExp(`^${path}:3:\\d+ UNDEFINED_POSTURE posture:x is not defined`)),
    ]);
    expect(c.err[0]).toMatch(/2 errors/);
    const failing = file('failing.hujson', `{\n  "grants": [],\n  "tests": [\n    { "src": "a@example.com", "accept": ["tag:app"] },\n  ],\n}\n`);
    const t = capture();
    expect(await applyPolicyFile(failing, { remote: remote() }, t.io)).toBe(1);
    expect(t.out).toEqual([`${failing}:4:42 POLICY_TESTS_FAILED a@example.com -> tag:app: expected accept, got deny (NO_MATCHING_GRANT)`]);
    expect((await h.request('GET', '/v1/policy')).json.version).toBe(1);
  });

  it('a dry run prints the changes as a table and the failing tests, and saves nothing', async () => {
    const path = file('open.hujson', OPEN.replace('"grants"', '"tests": [{ "src": "a@example.com", "deny": ["tag:app"] }],\n  "grants"'));
    const c = capture();
    expect(await applyPolicyFile(path, { dryRun: true, remote: remote() }, c.io)).toBe(1);
    expect(c.out[0]).toBe(`Dry run of ${path} against policy version 1; nothing was saved.`);
    expect(c.out.slice(1, 3)).toEqual([
      expect.stringMatching(/^CHANGE\s+DEVICE\s+ID\s+DESTINATION$/),
      expect.stringMatching(/^gains\s+tux\s+dev_\w+\s+tag:app$/),
    ]);
    expect(c.out).toContain('1 gain and 0 losses on 1 device (2 devices and 2 destinations checked).');
    expect(c.out).toContainEqual(expect.stringMatching(new RegExp(`^${path}:2:\\d+ POLICY_TESTS_FAILED tests\\[0\\] a@example.com -> tag:app: expected deny, got accept$`)));
    expect(c.out.at(-1)).toBe('It would be rejected: its tests fail.');

    const ok = capture();
    expect(await applyPolicyFile(file('open2.hujson', OPEN), { dryRun: true, remote: remote() }, ok.io)).toBe(0);
    expect(ok.out.at(-1)).toBe('It would be applied.');
    expect((await h.request('GET', '/v1/policy/versions')).json.data).toHaveLength(1);
  });

  it('reports an unreadable file, a refused key and a missing token plainly', async () => {
    const c = capture();
    expect(await applyPolicyFile(join(dir, 'nope.hujson'), { remote: remote() }, c.io)).toBe(1);
    expect(c.err[0]).toMatch(/cannot read the file \(ENOENT\)/);
    const k = capture();
    expect(await applyPolicyFile(file('x.hujson', OPEN), { remote: { server, token: 'pst_wrong_wrong_wrong_wrong' } }, k.io)).toBe(1);
    expect(k.err[0]).toMatch(/UNAUTHENTICATED/);
    expect(() => remoteOptions({}, {})).toThrow(/--token or set POSTERN_TOKEN/);
    expect(remoteOptions({}, { POSTERN_TOKEN: 't', POSTERN_SERVER: 'http://x:1/' })).toEqual({ server: 'http://x:1', token: 't', serverFrom: 'env' });
    expect(remoteOptions({ token: 'a' }, {}).server).toBe('http://127.0.0.1:8080');
  });
});

describe('table', () => {
  it('pads every column but the last', () => {
    expect(table(['A', 'BB'], [['xxx', 'y'], ['z', 'long']])).toEqual(['A    BB', 'xxx  y', 'z    long']);
  });
});
