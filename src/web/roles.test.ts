/**
 * A person's role comes only from their groups: admin groups win over viewer groups, and someone in neither has
 * no role (the sign-in is refused). The groups claim is read in every shape providers use, and a sign-in returns
 * only to a console route, never to another site.
 */
import { describe, expect, it } from 'vitest';
import { groupsFromClaim, roleForGroups, safeReturn } from './roles.ts';

describe('roleForGroups', () => {
  it.each([
    [['postern-admins'], 'admin'],
    [['postern-viewers'], 'viewer'],
    [['postern-viewers', 'postern-admins'], 'admin'],
    [['sales'], null],
    [[], null],
    [['POSTERN-ADMINS'], null],
  ] as const)('%j → %s', (groups, role) => {
    expect(roleForGroups(groups, ['postern-admins', 'sre'], ['postern-viewers'])).toBe(role);
  });

  it('no configured groups refuses everyone', () => {
    expect(roleForGroups(['postern-admins'], [], [])).toBeNull();
  });
});

describe('groupsFromClaim', () => {
  it.each([
    [['a', 'b'], ['a', 'b']],
    [['a', 7, null, ''], ['a']],
    ['a', ['a']],
    ['a, b', ['a', 'b']],
    [undefined, null],
    [{ a: 1 }, null],
  ])('%j → %j', (claim, groups) => {
    expect(groupsFromClaim(claim)).toEqual(groups);
  });
});

describe('safeReturn', () => {
  it.each([
    ['#/devices/dev_1', '#/devices/dev_1'],
    ['#/audit?target=dev_1', '#/audit?target=dev_1'],
    ['https://evil.example/', ''],
    ['//evil.example', ''],
    ['#/x"><script>', ''],
    [42, ''],
  ])('%j → %j', (value, expected) => {
    expect(safeReturn(value)).toBe(expected);
  });
});
