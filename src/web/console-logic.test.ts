/**
 * The console's own logic, without a browser: a URL pasted from the SentinelOne console's address bar is reduced
 * to the console's address (the server refuses page URLs), the version diff marks exactly the changed lines, and
 * the example a new user starts from is a valid policy whose tests pass.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: browser modules in plain JavaScript, without type declarations
import { diffLines } from './static/diff.js';
// @ts-expect-error: browser modules in plain JavaScript, without type declarations
import { consoleAddress } from './static/pages/integration-form.js';
// @ts-expect-error: browser modules in plain JavaScript, without type declarations
import { EXAMPLE_POLICY } from './static/policy-example.js';
import { compilePolicy, runPolicyTests } from '../policy/core.ts';

describe('consoleAddress', () => {
  it.each([
    ['https://acme.sentinelone.net/dashboard?tab=agents', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/#/endpoints', 'https://acme.sentinelone.net'],
    ['  https://acme.sentinelone.net/  ', 'https://acme.sentinelone.net'],
    ['https://acme.sentinelone.net/web/api/v2.1', 'https://acme.sentinelone.net/web/api/v2.1'],
    ['https://acme.sentinelone.net', 'https://acme.sentinelone.net'],
    ['acme', 'acme'],
    ['acme.sentinelone.net', 'acme.sentinelone.net'],
    ['http://127.0.0.1:9000/agents', 'http://127.0.0.1:9000'],
    ['https://', 'https://'],
  ])('%s → %s', (typed, expected) => {
    expect(consoleAddress(typed)).toBe(expected);
  });
});

describe('diffLines (console)', () => {
  it('marks removed then added lines, with their numbers on each side', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc')).toEqual([
      { op: ' ', text: 'a', a: 1, b: 1 },
      { op: '-', text: 'b', a: 2, b: null },
      { op: '+', text: 'x', a: null, b: 2 },
      { op: ' ', text: 'c', a: 3, b: 3 },
    ]);
  });
});

describe('the example policy of the empty policy page', () => {
  it('compiles and its tests pass', () => {
    const result = compilePolicy(EXAMPLE_POLICY as string);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(runPolicyTests(result.policy).failed).toEqual([]);
    expect(result.policy.tests.length).toBeGreaterThan(0);
  });
});
