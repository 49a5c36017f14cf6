import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareToVersion, compareVersions, parseVersion } from './versions.ts';

describe('versions order as Tailscale cmpver orders them', () => {
  it.each([
    ['23.4.10', '23.4.9', 1],
    ['1.40', '1.40.0', 0],
    ['1.9', '1.10', -1],
    ['1.2.3-abc', '1.2.3', 1],
    ['1.2.3', '1.2.3', 0],
    ['1.2', '1.2.0.0', 0],
    ['1.02', '1.2', 0],
    ['1.40.0', '1.40.1', -1],
    ['23.4.2.1', '23.4.2', 1],
    ['10', '9', 1],
    ['1.0-rc1', '1.0-rc2', -1],
    ['1.0-alpha', '1.0-beta', -1],
    ['v1.2', '1.2', 1], // "v" > "" as text
    ['', '0', 0],
    ['', '1', -1],
    ['99999999999999999999999.1', '99999999999999999999998.9', 1],
    ['13.4.0', '13.4', 0],
    ['10.0', '10', 0],
    ['100', '10', 1],
    ['1.10', '1.1', 1],
    // cases from cmpver's own test table
    ['2.0.0', '1.9.9', 1],
    ['1.0-0', '0.97-105', 1],
    ['0.97-120', '0.97-105', 1],
    ['0.96.1-0', '0.96-105', 1],
    ['10.0.19045.3324', '10.0.18362', 1],
    ['7.1.2', '7', 1],
    ['15.6.1', '15.6', 1],
    ['4.4.302+', '4.0', 1],
    ['4.14.255-311-248.529.amzn2.x86_64', '4.0', 1],
    ['14.0-CURRENT', '14', 1],
    ['Synology 6.2.4; kernel=3.10.105', 'Synology 6', 1],
    ['\u06f1\u06f1', '\u06f2', -1],
  ] as const)('compareVersions(%s, %s) = %i', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe(-want === 0 ? 0 : -want);
    expect(compareToVersion(a, parseVersion(b))).toBe(want);
  });

  const versionLike = fc.stringMatching(/^[0-9a-z.+-]{0,12}$/);

  it('a pre-parsed operand orders exactly like the plain comparison', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => compareToVersion(a, parseVersion(b)) === compareVersions(a, b)),
    );
    fc.assert(fc.property(versionLike, versionLike, (a, b) => compareToVersion(a, parseVersion(b)) === compareVersions(a, b)));
  });

  const tricky = fc.stringMatching(/^[0-9.a-]{0,7}$/);

  it('is antisymmetric and transitive, so sorting and range checks are consistent', () => {
    fc.assert(fc.property(tricky, tricky, (a, b) => compareVersions(a, b) === -compareVersions(b, a) || compareVersions(a, b) === 0));
    fc.assert(
      fc.property(tricky, tricky, tricky, (a, b, c) => {
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) return compareVersions(a, c) <= 0;
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});
