/**
 * What a device's own agent can make postern believe (pure rules): serials it names wait for approval, addresses
 * identify it only where observed, a user it names is only a claim, and nothing an admin set is dropped by a report.
 */
import { describe, expect, it } from 'vitest';
import { adminSerials, approveSerials, canonicalOs, enrollmentUser, reportedAddresses, reportedSerials, sameAddress } from './identity-rules.ts';

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
    ['a new serial waits for approval', [], ['NEW1'], false, [{ serial: 'NEW1', status: 'pending', source: 'device' }]],
    ['a key that approves serials approves it at once', [], ['NEW1'], true, [{ serial: 'NEW1', status: 'approved', source: 'device' }]],
    ['an approved serial stays approved', [{ serial: 'OLD1', status: 'approved', source: 'device' }], ['OLD1'], false, [{ serial: 'OLD1', status: 'approved', source: 'device' }]],
    ['a serial no longer reported is dropped', [{ serial: 'OLD1', status: 'approved', source: 'device' }], [], false, []],
    ['an admin-set serial survives a report without it', admin, [], false, admin],
    ['an admin-set serial reported again stays admin', admin, ['ADMIN1'], false, admin],
  ] as const)('%s', (_name, existing, usable, auto, expected) => {
    expect(reportedSerials(existing, usable, auto)).toEqual(expected);
  });

  it('approval approves every pending serial and keeps the rest', () => {
    expect(approveSerials([...admin, { serial: 'P1', status: 'pending', source: 'device' }]).map((r) => r.status)).toEqual(['approved', 'approved']);
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
