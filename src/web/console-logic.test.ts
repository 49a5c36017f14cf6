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
// @ts-expect-error: browser modules in plain JavaScript, without type declarations
import { formatDuration, parseDuration } from './static/duration.js';
// @ts-expect-error: browser modules in plain JavaScript, without type declarations
import { consoleWords } from './static/dom.js';
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

describe('intervals as typed (duration.js)', () => {
  it.each([
    ['90', 90],
    ['90 s', 90],
    ['90s', 90],
    ['15 min', 900],
    ['1.5 min', 90],
    ['1 h', 3600],
    ['2 d', 172_800],
    ['  120  ', 120],
  ])('%j is %i seconds, never rounded', (typed, seconds) => {
    expect(parseDuration(typed)).toEqual({ seconds });
  });

  it.each([
    ['1.5 s', 'whole number of seconds'],
    ['0.01 min', 'whole number of seconds'],
    ['ten', 'must be a duration'],
    ['5 weeks', 'is not a unit'],
    ['', 'must be a duration'],
  ])('%j is refused with the reason', (typed, reason) => {
    expect(parseDuration(typed).error).toContain(reason);
  });

  it.each([
    [90, '90 s'],
    [900, '15 min'],
    [3600, '1 h'],
    [5400, '90 min'],
    [86_400, '1 d'],
    [61, '61 s'],
  ])('%i seconds is shown as %j, which reads back exactly', (seconds, shown) => {
    expect(formatDuration(seconds)).toBe(shown);
    expect(parseDuration(shown)).toEqual({ seconds });
  });
});

describe('consoleWords: API directions give way to the console\'s buttons', () => {
  it.each([
    ['The API key is unknown, revoked or expired; create a new one with POST /v1/api-keys.', 'The API key is unknown, revoked or expired.'],
    ['No policy has been stored yet. This built-in default denies every request; store a policy with PUT /v1/policy.', 'No policy has been stored yet. This built-in default denies every request.'],
    ['Then save it on this source in postern (PATCH /v1/tailnets/<id> with {"apiKey": "..."}). Saving syncs at once.', 'Then save it on this source in postern. Saving syncs at once.'],
    ['Check the agents. GET /v1/posture-losses lists them.', 'Check the agents.'],
    ['A plain message without directions', 'A plain message without directions.'],
  ])('%j → %j', (message, shown) => {
    expect(consoleWords(message)).toBe(shown);
  });
});
