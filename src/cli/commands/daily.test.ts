/**
 * Every daily action has a `postern` command that drives the real API (which audits it): device edits, approvals
 * of several devices or all pending, the review queue, exceptions, API and enrollment keys, unmatched agents, users
 * a page at a time. People get lines that name the next command; `--json` prints exactly what the API answered;
 * a failure exits 1 with a message that says what to run, never what to send over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../vendors/sentinelone/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { runCli } from '../index.ts';

let h: Harness;
let sim: S1Simulator;
let server: string;

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** The whole `postern` program in this process, output captured, the exit status read and reset. */
async function postern(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await runCli(['node', 'postern', ...args, ...(args.includes('--server') ? [] : ['--server', server]), ...(args.includes('--token') ? [] : ['--token', ADMIN_TOKEN])], { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(l) });
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.exitCode = before;
  }
}
const json = (run: Run) => JSON.parse(run.out.join('\n'));
const audited = async (target: string, action: string) =>
  (await h.request('GET', `/v1/audit?target=${encodeURIComponent(target)}&action=${encodeURIComponent(action)}`)).json.data.length;

async function enroll(name: string, body: Record<string, unknown>) {
  const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
  return (await h.request('POST', '/v1/enroll', { key, body: { name, os: 'linux', ...body } })).json.device.id as string;
}

beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 6, seed: 3 });
  h = await startHarness();
  server = await h.postern.listen();
});
afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('postern devices edit', () => {
  it('changes the fields given, prints the device, --json answers the API device; audited', async () => {
    const id = (await h.request('POST', '/v1/devices', { body: { name: 'edit-me', os: 'macos', tags: ['tag:old'] } })).json.id;
    const run = await postern('devices', 'edit', id, '--name', 'edited', '--tag', 'tag:laptop', '--tag', 'tag:prod', '--user', 'eve@example.com');
    expect(run.code, run.err.join('\n')).toBe(0);
    expect(run.out[0]).toBe(`${id}  edited  (macos, eve@example.com)  tag:laptop tag:prod`);
    const api = (await h.request('GET', `/v1/devices/${id}`)).json;
    expect(api).toMatchObject({ name: 'edited', tags: ['tag:laptop', 'tag:prod'], user: 'eve@example.com' });
    expect(await audited(id, 'device.update')).toBe(1);

    const cleared = json(await postern('devices', 'edit', id, '--no-user', '--no-tags', '--json'));
    expect(cleared).toMatchObject({ id, user: null, tags: [] });

    const nothing = await postern('devices', 'edit', id);
    expect(nothing.code).toBe(1);
    expect(nothing.err[0]).toMatch(/^postern: Nothing to change: pass at least one of --name/);
    const bad = await postern('devices', 'edit', id, '--tag', 'prod');
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toMatch(/^postern: VALIDATION_FAILED: body\.tags\[0\] must be tag:<name>/);
  });

  it('an unknown id says which command lists the right ones, never an HTTP verb', async () => {
    const run = await postern('devices', 'edit', 'dev_nosuchdevice', '--name', 'x');
    expect(run.code).toBe(1);
    expect(run.err).toEqual(['postern: NOT_FOUND: Device "dev_nosuchdevice" does not exist; find the right id with `postern devices list`']);
    const key = await postern('api-keys', 'revoke', 'key_nosuchkey');
    expect(key.err[0]).toContain('find the right id with `postern api-keys list`');
    const exception = await postern('exceptions', 'end', 'dev_nosuchdevice', 'exc_nosuch');
    expect(exception.err[0]).toContain('find the right id with `postern exceptions list dev_nosuchdevice`');
    for (const line of [...run.err, ...key.err, ...exception.err]) {
      expect(line).not.toMatch(/\bGET\b|\bPOST\b|use the API|\.\.$/);
    }
  });
});

describe('approvals: several devices, all pending, and the review queue', () => {
  it('approve-serials takes several devices or --all-pending; --json answers {data, failed}; audited per device', async () => {
    const a = await enroll('pend-a', { serialNumbers: ['PENDA0000001'] });
    const b = await enroll('pend-b', { serialNumbers: ['PENDB0000001'] });
    const c = await enroll('pend-c', { serialNumbers: ['PENDC0000001'] });
    const shown = await postern('devices', 'show', a);
    expect(shown.out).toContain('  serials: none');
    expect(shown.out).toContain(`  awaiting approval (postern devices approve-serials ${a}): PENDA0000001`);

    const two = await postern('devices', 'approve-serials', a, b);
    expect(two.code, two.err.join('\n')).toBe(0);
    expect(two.out).toEqual([`Approved serials on 2 of 2 devices: ${a}, ${b}.`]);
    expect((await h.request('GET', `/v1/devices/${a}`)).json.pendingSerials).toEqual([]);
    expect(await audited(b, 'device.serial.approve')).toBe(1);

    const all = await postern('devices', 'approve-serials', '--all-pending', '--json');
    expect(all.code).toBe(0);
    expect(json(all).data.map((d: { id: string }) => d.id)).toEqual([c]);
    expect(json(all).failed).toEqual([]);
    expect((await postern('devices', 'approve-serials', '--all-pending')).out).toEqual(['Nothing waits for serials approval.']);

    const again = await postern('devices', 'approve-serials', a);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(new RegExp(`^postern: ${a}: CONFLICT: Device ${a} has no serial, MAC or agent UUID waiting for approval\\.$`));
    const none = await postern('devices', 'approve-serials');
    expect(none.code).toBe(1);
    expect(none.err[0]).toContain('`postern devices review` lists what waits');
  });

  it('review lists claimed users, pending serials and reported MACs with the command for each; --approve approves them all', async () => {
    const user = await enroll('claims-user', { serialNumbers: ['REVU00000001'], user: 'rita@example.com' });
    const mac = await enroll('reports-mac', { serialNumbers: [], macAddresses: ['3c:22:fb:12:34:56'] });
    const queue = await postern('devices', 'review');
    expect(queue.code).toBe(0);
    expect(queue.out).toContain(`  claims user rita@example.com  (postern devices approve-user ${user})`);
    expect(queue.out).toContain(`  serials awaiting approval: REVU00000001  (postern devices approve-serials ${user})`);
    expect(queue.out).toContainEqual(expect.stringMatching(new RegExp(`^ {2}MACs reported, not matched: 3c:22:fb:12:34:56 {2}\\(postern devices approve-macs ${mac}\\)$`, 'i')));
    expect(queue.out.at(-1)).toBe('Approve them all with `postern devices review --approve`, or one by one with the commands shown.');
    const asJson = json(await postern('devices', 'review', '--json'));
    expect(asJson.data.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([user, mac]));

    const approved = await postern('devices', 'review', '--approve', '--json');
    expect(approved.code, approved.err.join('\n')).toBe(0);
    expect(json(approved).approved).toEqual(expect.arrayContaining([{ id: user, kinds: ['serials', 'user'] }, { id: mac, kinds: ['macs'] }]));
    expect((await h.request('GET', `/v1/devices/${user}`)).json).toMatchObject({ user: 'rita@example.com', claimedUser: null, pendingSerials: [] });
    expect((await h.request('GET', `/v1/devices/${mac}`)).json.macAddresses).toHaveLength(1);
    expect(await audited(user, 'device.user.approve')).toBe(1);
    expect(await audited(mac, 'device.update')).toBe(1);
    expect((await postern('devices', 'review')).out).toEqual(['Nothing to review: no pending claims and no matching conflicts.']);
  });

  it('show and review name a matching conflict: which agent is used, which share the serial, and matchedBy', async () => {
    const fresh = new Date().toISOString();
    const old = new Date(Date.now() - 3_600_000).toISOString();
    sim.state.addAgent({ serialNumber: 'DUPL00000001', computerName: 'dup-new', lastActiveDate: fresh });
    sim.state.addAgent({ serialNumber: 'DUPL00000001', computerName: 'dup-old', lastActiveDate: old });
    const id = (await h.request('POST', '/v1/devices', { body: { name: 'dup', os: 'macos', serialNumbers: ['DUPL00000001'] } })).json.id;
    const added = await postern('integrations', 'add', '--name', 'S1', '--url', sim.url, '--api-token', sim.token);
    expect(added.code, added.err.join('\n')).toBe(0);
    const shown = await postern('devices', 'show', id);
    expect(shown.out, JSON.stringify((await h.request('GET', `/v1/devices/${id}`)).json.match)).toContainEqual(expect.stringMatching(/^ {2}matched by serial DUPL00000001 to record \S+ of int_\w+$/));
    expect(shown.out).toContainEqual(expect.stringMatching(/^ {4}conflict: 1 more record shares it \(\S+\); the most recently active one is used$/));
    const queue = await postern('devices', 'review');
    expect(queue.out).toContainEqual(expect.stringMatching(/^ {2}conflict: serial DUPL00000001 is on 2 agents of int_\w+; /));
  });
});

describe('postern integrations list and unmatched', () => {
  it('list --json prints the API answer {data: [...]}', async () => {
    const run = json(await postern('integrations', 'list', '--json'));
    expect(run).toEqual((await h.request('GET', '/v1/integrations')).json);
    expect(Array.isArray(run.data)).toBe(true);
  });

  it('unmatched lists agents that matched no device and what to do; --json the API answer', async () => {
    const id = (await h.request('GET', '/v1/integrations')).json.data[0].id;
    const run = await postern('integrations', 'unmatched', id);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^\d+ agents? matched no device:$/);
    expect(run.out[1]).toMatch(/^AGENT +COMPUTER +SERIAL +WHY$/);
    expect(run.out.join('\n')).toContain('no device has this serial (postern devices add … --serial)');
    expect(json(await postern('integrations', 'unmatched', id, '--json'))).toEqual((await h.request('GET', `/v1/integrations/${id}/unmatched-agents`)).json);
    const only = json(await postern('integrations', 'unmatched', id, '--reason', 'no_device', '--json'));
    expect(only.data.every((a: { reason: string }) => a.reason === 'NO_DEVICE')).toBe(true);
  });
});

describe('postern exceptions', () => {
  it('add with an expiry, list, end; each audited, --json the API answers', async () => {
    const id = (await h.request('POST', '/v1/devices', { body: { name: 'exc', os: 'windows' } })).json.id;
    const added = await postern('exceptions', 'add', id, '--posture', 'posture:trusted', '--reason', 'disk replaced, agent reinstalling', '--expires', '2d');
    expect(added.code, added.err.join('\n')).toBe(0);
    const excId = /^(exc_\w+)/.exec(added.out[0]!)![1]!;
    expect(added.out[0]).toMatch(new RegExp(`^${excId} {2}${id} {2}posture:trusted {2}\\[active\\] {2}until \\d{4}-`));
    expect(added.out.at(-1)).toBe(`End it early with \`postern exceptions end ${id} ${excId}\`.`);
    const listed = await postern('exceptions', 'list', id);
    expect(listed.out[0]).toMatch(/^ID +POSTURE +STATE +EXPIRES +REASON$/);
    expect(listed.out[1]).toMatch(new RegExp(`^${excId} +posture:trusted +active `));
    expect(json(await postern('exceptions', 'list', id, '--json'))).toEqual((await h.request('GET', `/v1/devices/${id}/exceptions`)).json);
    const ended = await postern('exceptions', 'end', id, excId, '--json');
    expect(ended.code).toBe(0);
    expect(json(ended)).toMatchObject({ id: excId, state: 'revoked' });
    expect(await audited(id, 'device.exception.create')).toBe(1);
    expect(await audited(id, 'device.exception.revoke')).toBe(1);

    const tooLong = await postern('exceptions', 'add', id, '--posture', 'posture:trusted', '--reason', 'x', '--expires', '90d');
    expect(tooLong.code).toBe(1);
    expect(tooLong.err[0]).toMatch(/^postern: VALIDATION_FAILED: body\.expiresAt/);
    const badWhen = await postern('exceptions', 'add', id, '--posture', 'posture:trusted', '--reason', 'x', '--expires', 'soon');
    expect(badWhen.code).toBe(1);
    expect(badWhen.err[0]).toBe('postern: --expires: "soon" is neither a time like 2026-01-31T12:00:00Z nor a duration like 12h or 7d');
  });
});

describe('postern api-keys and enrollment-keys', () => {
  it('api-keys: create prints the key once, list never shows it, revoke refuses it from then on; audited', async () => {
    const created = await postern('api-keys', 'create', '--name', 'ci', '--role', 'viewer', '--expires', '30d');
    expect(created.code, created.err.join('\n')).toBe(0);
    const [head, key] = created.out;
    const id = /^(key_\w+)/.exec(head!)![1]!;
    expect(key).toMatch(/^pst_/);
    expect(created.err).toEqual(['Keep it now: postern stores only its hash and will not show it again.']);
    expect((await h.request('GET', '/v1/devices', { key })).status).toBe(200);

    const listed = await postern('api-keys', 'list');
    expect(listed.out[0]).toMatch(/^ID +NAME +ROLE +STATE +EXPIRES +LAST USED$/);
    expect(listed.out).toContainEqual(expect.stringMatching(new RegExp(`^${id} +ci +viewer +active +\\d{4}-`)));
    expect(listed.out.join('\n')).not.toContain(key);
    expect(json(await postern('api-keys', 'list', '--json'))).toEqual((await h.request('GET', '/v1/api-keys')).json);

    const revoked = await postern('api-keys', 'revoke', id);
    expect(revoked.out).toEqual([`Revoked ${id}.`]);
    expect((await h.request('GET', '/v1/devices', { key })).status).toBe(401);
    expect(await audited(id, 'api_key.create')).toBe(1);
    expect(await audited(id, 'api_key.revoke')).toBe(1);
    const badRole = await postern('api-keys', 'create', '--name', 'x', '--role', 'root');
    expect(badRole.code).toBe(1);
    expect(badRole.err[0]).toMatch(/^postern: VALIDATION_FAILED: body\.role/);
  });

  it('enrollment-keys: create (--json answers the key once), list, revoke; a revoked key enrolls nothing', async () => {
    const created = await postern('enrollment-keys', 'create', '--reusable', '--tag', 'tag:laptop', '--user', 'ola@example.com', '--json');
    expect(created.code).toBe(0);
    const { id, key } = json(created);
    expect(key).toMatch(/^pek_/);
    const listed = await postern('enrollment-keys', 'list');
    expect(listed.out).toContainEqual(expect.stringMatching(new RegExp(`^${id} +active +reusable, 0 uses +ola@example\\.com +tag:laptop +never$`)));
    expect((await postern('enrollment-keys', 'revoke', id)).code).toBe(0);
    expect((await h.request('POST', '/v1/enroll', { key, body: { name: 'late', os: 'linux', serialNumbers: [] } })).status).toBe(401);
    expect(await audited(id, 'enrollment_key.revoke')).toBe(1);
  });
});

describe('postern users list pages', () => {
  it('--limit gives one page and the command for the next; --all every page; filters by text and level', async () => {
    for (const name of ['ann', 'bob', 'cat']) await h.request('POST', '/v1/devices', { body: { name: `u-${name}`, os: 'linux', user: `${name}@users.example` } });
    const first = await postern('users', 'list', '--search', 'users.example', '--limit', '2');
    expect(first.out.slice(0, 3)).toEqual([expect.stringMatching(/^USER +RISK +DEVICES +EVENTS$/), expect.stringMatching(/^ann@users\.example +none +1 +0$/), expect.stringMatching(/^bob@users\.example /)]);
    const more = /^More: postern users list --search "users\.example" --cursor (\S+) --limit 2 \(or --all\)$/.exec(first.out[3]!);
    expect(more).not.toBeNull();
    const second = json(await postern('users', 'list', '--search', 'users.example', '--limit', '2', '--cursor', more![1]!, '--json'));
    expect(second).toEqual({ data: [expect.objectContaining({ email: 'cat@users.example' })], nextCursor: null, windowDays: expect.any(Number) });
    const all = json(await postern('users', 'list', '--search', 'users.example', '--limit', '1', '--all', '--json'));
    expect(all.data.map((u: { email: string }) => u.email)).toEqual(['ann@users.example', 'bob@users.example', 'cat@users.example']);
    expect(json(await postern('users', 'list', '--risk-level', 'high', '--json')).data).toEqual([]);
    const bad = await postern('users', 'list', '--risk-level', 'severe');
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toMatch(/^postern: VALIDATION_FAILED: query\.riskLevel must be one or more of none, low, medium, high/);
  });

  it('devices list pages the same way', async () => {
    const first = await postern('devices', 'list', '--limit', '1');
    expect(first.out).toHaveLength(3);
    expect(first.out[2]).toMatch(/^More: postern devices list --cursor \S+ --limit 1 \(or --all\)$/);
    const page = json(await postern('devices', 'list', '--limit', '1', '--json'));
    expect(Object.keys(page).sort()).toEqual(['data', 'nextCursor']);
    const all = json(await postern('devices', 'list', '--all', '--json'));
    expect(all.data.length).toBe((await h.request('GET', '/v1/devices?limit=1000')).json.data.length);
  });
});

describe('a wrong server is reported as a URL problem', () => {
  it('not a URL, nothing listening, and something that is not postern each say to fix the URL', async () => {
    const notUrl = await postern('devices', 'list', '--server', 'postern.example.com');
    expect(notUrl.code).toBe(1);
    expect(notUrl.err[0]).toBe('postern: CONFIG_INVALID: "postern.example.com" from --server is not a postern URL: give one like https://postern.example.com or http://127.0.0.1:8080');
    const closed = await postern('devices', 'list', '--server', 'http://127.0.0.1:9');
    expect(closed.err[0]).toMatch(/^postern: CONFIG_INVALID: Cannot reach http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED.*\. Check that postern runs there and the URL in --server$/);
    const wrongPath = await postern('devices', 'list', '--server', `${server}/postern`);
    expect(wrongPath.err[0]).toMatch(/answered HTTP 404 to GET \/v1\/devices, not as postern answers; check the URL in --server/);
    for (const line of [...notUrl.err, ...closed.err, ...wrongPath.err]) {
      expect(line).not.toMatch(/token|POSTERN_SERVER|\.\.$/i);
    }
  });
});

describe('custom attributes and words for the command line', () => {
  it('set-attribute and unset-attribute write custom:* attributes, typed as given; audited', async () => {
    const id = (await h.request('POST', '/v1/devices', { body: { name: 'attrs', os: 'linux' } })).json.id;
    const set = await postern('devices', 'set-attribute', id, 'custom:tier', '2', '--expires', '7d');
    expect(set.code, set.err.join('\n')).toBe(0);
    expect(set.out[0]).toMatch(new RegExp(`^${id} {2}custom:tier = 2 {2}\\(until \\d{4}-`));
    expect((await h.request('GET', `/v1/devices/${id}`)).json.attributes['custom:tier'].value).toBe(2);
    expect(json(await postern('devices', 'set-attribute', id, 'custom:team', 'sre', '--json'))).toMatchObject({ value: 'sre' });
    const readOnly = await postern('devices', 'set-attribute', id, 'sentinelOne:infected', 'false');
    expect(readOnly.code).toBe(1);
    expect(readOnly.err[0]).toMatch(/^postern: ATTRIBUTE_READ_ONLY: /);
    expect((await postern('devices', 'unset-attribute', id, 'custom:tier')).out).toEqual([`Removed custom:tier from ${id}.`]);
    expect((await h.request('GET', `/v1/devices/${id}`)).json.attributes['custom:tier']).toBeUndefined();
    expect(await audited(id, 'device.attribute.update')).toBe(2);
    expect(await audited(id, 'device.attribute.delete')).toBe(1);
  });

  it('server directions that name an HTTP call name the command instead', async () => {
    const id = (await h.request('POST', '/v1/devices', { body: { name: 'no-claim', os: 'linux' } })).json.id;
    const run = await postern('devices', 'approve-user', id);
    expect(run.code).toBe(1);
    expect(run.err[0]).toBe(`postern: ${id}: CONFLICT: Device ${id} claims no user; set one with \`postern devices edit ${id} --user EMAIL\` instead.`);
    const pending = await enroll('words', { serialNumbers: ['WORDS0000001'] });
    const shown = await postern('devices', 'show', pending);
    expect(shown.out).toContainEqual(expect.stringMatching(new RegExp(`^ {4}SERIAL_PENDING_APPROVAL: .*\\(\`postern devices approve-serials ${pending}\`\\)`)));
    const badKey = await postern('devices', 'list', '--token', 'pst_not_a_real_key_000000000000');
    expect(badKey.code).toBe(1);
    expect(badKey.err[0]).toContain('`postern api-keys create`');
    for (const line of [...run.err, ...shown.out, ...badKey.err]) expect(line).not.toMatch(/\b(GET|POST|PUT|PATCH|DELETE) \/v1|\.\.$/);
  });
});

describe('postern audit', () => {
  it('pages the audit log newest first with filters; --json the API answer', async () => {
    const run = await postern('audit', '--action', 'api_key.create', '--limit', '1');
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^AT +ACTOR +ACTION +TARGET$/);
    expect(run.out[1]).toMatch(/^\d{4}-\S+ +\S+ +api_key\.create +key_\w+$/);
    expect(json(await postern('audit', '--action', 'api_key.create', '--limit', '1', '--json'))).toEqual((await h.request('GET', '/v1/audit?limit=1&action=api_key.create')).json);
    expect((await postern('audit', '--target', 'dev_none')).out).toEqual(['No audit event matches.']);
  });
});

describe('postern sessions', () => {
  it('lists console sessions (break-glass ones named so) and revokes one', async () => {
    expect((await h.request('POST', '/v1/console/login')).status).toBe(200);
    const listed = await postern('sessions', 'list');
    expect(listed.code, listed.err.join('\n')).toBe(0);
    expect(listed.out[0]).toMatch(/^ID +WHO +ROLE +SIGNED IN WITH +LAST SEEN +EXPIRES$/);
    const id = /^(ses_\w+)/.exec(listed.out.find((l) => l.includes('API key (break-glass)'))!)![1]!;
    expect((await postern('sessions', 'revoke', id)).out).toEqual([`Revoked ${id}; that person must sign in again.`]);
    expect(json(await postern('sessions', 'list', '--json')).data.map((x: { id: string }) => x.id)).not.toContain(id);
  });
});

