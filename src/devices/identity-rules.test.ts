/**
 * What a device's own agent or a device source can make postern believe (pure rules): serials it names wait for
 * approval or a conflict, addresses identify it only where observed (or stated by its tailnet), a user it names is
 * only a claim, claims never block one another, and nothing an admin set is dropped by another source.
 */
import { describe, expect, it } from 'vitest';
import { adminSerials, approveSerials, canonicalOs, claimConflict, enrollmentUser, reportedAddresses, reportedAgentUuid, reportedSerials, sameAddress, sourceAddresses, sourceSerials, withoutSource, type ClaimContext, type SerialRow } from './identity-rules.ts';

describe('OS names a person would type become the canonical lower-case name', () => {
  it.each([
    ['macOS', 'macos'],
    ['Mac OS X', 'macos'],
    ['darwin', 'macos'],
    ['OSX', 'macos'],
    ['Windows', 'windows'],
    ['win32', 'windows'],
    ['Microsoft Windows', 'windows'],
    ['WINDOWS', 'windows'],
    ['Linux', 'linux'],
    ['GNU/Linux', 'linux'],
    ['iOS', 'ios'],
    ['iPadOS', 'ios'],
    ['Android', 'android'],
    ['ChromeOS', 'chromeos'],
    ['FreeBSD', 'freebsd'],
    [' linux ', 'linux'],
    ['haiku', 'haiku'],
  ])('%j → %s', (input, expected) => expect(canonicalOs(input)).toBe(expected));

  it.each(['', '   ', 'mac os; drop table', '123', 'a'.repeat(40)])('%j is refused', (input) => expect(canonicalOs(input)).toBeNull());
});

describe('serials a device names', () => {
  const admin = adminSerials(['ADMIN1']);

  it.each([
    ['a new serial waits for approval', [], ['NEW1'], false, [{ serial: 'NEW1', status: 'pending', source: 'device', note: null }]],
    ['a key that approves serials approves it at once', [], ['NEW1'], true, [{ serial: 'NEW1', status: 'approved', source: 'device', note: null }]],
    ['an approved serial stays approved', [{ serial: 'OLD1', status: 'approved', source: 'device' }], ['OLD1'], false, [{ serial: 'OLD1', status: 'approved', source: 'device', note: null }]],
    ['a serial no longer reported is dropped', [{ serial: 'OLD1', status: 'approved', source: 'device' }], [], false, []],
    ['an admin-set serial survives a report without it', admin, [], false, admin],
    ['an admin-set serial reported again stays admin', admin, ['ADMIN1'], false, admin],
  ] as const)('%s', (_name, existing, usable, auto, expected) => {
    expect(reportedSerials(existing, usable, auto)).toEqual(expected);
  });

  it('a serial another device holds waits with the conflict, even under a key that approves serials (no 409)', () => {
    const others = new Map([['HELD1', [{ deviceId: 'dev_victim', status: 'approved' as const }]]]);
    expect(reportedSerials([], ['HELD1'], true, others)).toEqual([{ serial: 'HELD1', status: 'pending', source: 'device', note: 'SERIAL_HELD dev_victim' }]);
  });

  it("another device's pending claim never blocks a key that approves serials (claims never block)", () => {
    const others = new Map([['SQUAT1', [{ deviceId: 'dev_squatter', status: 'pending' as const }]]]);
    expect(reportedSerials([], ['SQUAT1'], true, others)).toEqual([{ serial: 'SQUAT1', status: 'approved', source: 'device', note: null }]);
  });

  it('approval approves every pending serial and keeps the rest', () => {
    expect(approveSerials([...admin, { serial: 'P1', status: 'pending', source: 'device' }]).map((r) => r.status)).toEqual(['approved', 'approved']);
  });
});

describe("a source's serial claims (a tailnet node's)", () => {
  const base: ClaimContext = { others: new Map(), autoApprove: true, claimsBlock: true };
  const src = 'tailnet:tn_1' as const;

  it.each([
    ['breaks no rule: approved', base, null],
    ['another device holds it', { ...base, others: new Map([['S1', [{ deviceId: 'dev_v', status: 'approved' as const }]]]) }, 'SERIAL_HELD dev_v'],
    ['another device claims it', { ...base, others: new Map([['S1', [{ deviceId: 'dev_c', status: 'pending' as const }]]]) }, 'SERIAL_CLAIMED dev_c'],
    ['two nodes present it', { ...base, contested: new Set(['S1']) }, 'SERIAL_CONTESTED'],
    ['its EDR agent feeds another device', { ...base, agentElsewhere: new Map([['S1', 'dev_m']]) }, 'AGENT_ELSEWHERE dev_m'],
    ["the node's user differs", { ...base, blocked: 'USER_MISMATCH dev_v' }, 'USER_MISMATCH dev_v'],
  ] as const)('%s', (_name, ctx, note) => {
    expect(claimConflict('S1', ctx as ClaimContext)).toBe(note);
    expect(sourceSerials([], src, ['S1'], ctx as ClaimContext)).toEqual([{ serial: 'S1', status: note === null ? 'approved' : 'pending', source: src, note }]);
  });

  it('autoApproveSerials off: every claim waits, with no conflict', () => {
    expect(sourceSerials([], src, ['S1'], { ...base, autoApprove: false })).toEqual([{ serial: 'S1', status: 'pending', source: src, note: null }]);
  });

  it("other sources' rows stay; the source's rows it no longer states leave", () => {
    const existing: SerialRow[] = [
      { serial: 'ADMIN1', status: 'approved', source: 'admin' },
      { serial: 'AGENT1', status: 'approved', source: 'device' },
      { serial: 'OLD1', status: 'approved', source: src },
    ];
    expect(sourceSerials(existing, src, ['ADMIN1', 'NEW1'], base).map((r) => `${r.serial}:${r.source}:${r.status}`)).toEqual(['ADMIN1:admin:approved', 'AGENT1:device:approved', 'NEW1:tailnet:tn_1:approved']);
  });

  it('a pending claim whose conflict ended is approved at the next statement; an approved one stays', () => {
    const pending: SerialRow[] = [{ serial: 'S1', status: 'pending', source: src, note: 'SERIAL_CONTESTED' }];
    expect(sourceSerials(pending, src, ['S1'], base)[0]).toMatchObject({ status: 'approved', note: null });
    const approved: SerialRow[] = [{ serial: 'S1', status: 'approved', source: src }];
    expect(sourceSerials(approved, src, ['S1'], { ...base, contested: new Set(['S1']) })[0]).toMatchObject({ status: 'approved' });
  });

  it('what a source brought leaves with it; admin facts stay', () => {
    expect(withoutSource([{ address: '100.64.0.1', source: src }, { address: '10.0.0.1', source: 'admin' }], src)).toEqual([{ address: '10.0.0.1', source: 'admin' }]);
  });

  it("a source's addresses never take one another device holds", () => {
    expect(sourceAddresses([{ address: '10.0.0.1', source: 'admin' }], src, ['100.64.0.1', '100.64.0.2'], new Set(['100.64.0.2']))).toEqual([
      { address: '10.0.0.1', source: 'admin' },
      { address: '100.64.0.1', source: src },
    ]);
  });
});

describe('addresses a device reports', () => {
  it.each([
    ['reported and observed: identifies', [], ['10.0.0.5'], '10.0.0.5', [{ address: '10.0.0.5', source: 'observed' }], []],
    ['reported, not observed: kept, not believed', [], ['10.0.0.9'], '10.0.0.5', [], ['10.0.0.9']],
    ['observed through IPv4-mapped IPv6', [], ['10.0.0.5'], '::ffff:10.0.0.5', [{ address: '10.0.0.5', source: 'observed' }], []],
    ['nothing observed: nothing believed', [], ['10.0.0.5'], null, [], ['10.0.0.5']],
    ['admin-set addresses stay', [{ address: '100.64.0.1', source: 'admin' }], [], '10.0.0.5', [{ address: '100.64.0.1', source: 'admin' }], []],
    ['an observed address no longer reported is dropped', [{ address: '10.0.0.5', source: 'observed' }], ['10.0.0.6'], '10.0.0.7', [], ['10.0.0.6']],
  ] as const)('%s', (_name, existing, reported, observed, identifying, reportedOnly) => {
    expect(reportedAddresses(existing, reported, observed)).toEqual({ identifying, reportedOnly });
  });

  it('an address another device holds is never taken by a report, observed or not', () => {
    expect(reportedAddresses([], ['10.0.0.5'], '10.0.0.5', new Set(['10.0.0.5']))).toEqual({ identifying: [], reportedOnly: ['10.0.0.5'] });
  });

  it('compares IPv6 case-insensitively', () => expect(sameAddress('FD7A::1', 'fd7a::1')).toBe(true));
});

describe('the user of an enrolled device', () => {
  it.each([
    ['a key bound to a user decides', 'alice@example.com', null, 'mallory@example.com', { user: 'alice@example.com', claimedUser: 'mallory@example.com' }],
    ['a proven login decides', null, 'Bob@Example.com', null, { user: 'bob@example.com', claimedUser: null }],
    ['a named user alone is only a claim', null, null, 'alice@example.com', { user: null, claimedUser: 'alice@example.com' }],
    ['a claim equal to the proven user is no claim', 'alice@example.com', null, 'ALICE@example.com', { user: 'alice@example.com', claimedUser: null }],
    ['nobody', null, null, null, { user: null, claimedUser: null }],
  ] as const)('%s', (_name, keyUser, proven, named, expected) => {
    expect(enrollmentUser(keyUser, proven, named)).toEqual(expected);
  });
});

describe("the SentinelOne agent UUID a device's agent reports is a claim, matched only once approved", () => {
  const A = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const a = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
  const b = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  const none = { s1AgentUuid: null, reportedS1AgentUuid: null };
  it.each([
    ['a new UUID waits', none, A, false, false, { s1AgentUuid: null, reportedS1AgentUuid: a }],
    ['a key that approves claims matches it at once', none, A, true, false, { s1AgentUuid: a, reportedS1AgentUuid: null }],
    ["another device's UUID waits even with such a key", none, A, true, true, { s1AgentUuid: null, reportedS1AgentUuid: a }],
    ["a report never replaces the device's approved UUID", { s1AgentUuid: b, reportedS1AgentUuid: null }, A, true, false, { s1AgentUuid: b, reportedS1AgentUuid: a }],
    ['the approved UUID reported again is no claim', { s1AgentUuid: a, reportedS1AgentUuid: null }, A, false, false, { s1AgentUuid: a, reportedS1AgentUuid: null }],
    ['no UUID any more: the claim stops waiting, the approved one stays', { s1AgentUuid: b, reportedS1AgentUuid: a }, null, false, false, { s1AgentUuid: b, reportedS1AgentUuid: null }],
    ['silence changes nothing', { s1AgentUuid: null, reportedS1AgentUuid: a }, undefined, false, false, { s1AgentUuid: null, reportedS1AgentUuid: a }],
  ] as const)('%s', (_name, before, reported, autoApprove, held, expected) => {
    expect(reportedAgentUuid(before, reported, autoApprove, held)).toEqual(expected);
  });
});
