import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compiler.ts';
import { DESIGN_EXAMPLE_POLICY } from './examples.ts';
import { runPolicyTests } from './tests-runner.ts';

function policy(text: string) {
  const r = compilePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

const TEXT = `{
  "groups": { "group:sre": ["alice@example.com", "bob@example.com"] },
  "postures": { "posture:trusted": ["sentinelOne:activeThreats == 0", "sentinelOne:agentVersion >= '23.4.2'"] },
  "grants": [
    { "src": ["group:sre"], "dst": ["tag:production"], "srcPosture": ["posture:trusted"] },
    { "src": ["tag:ci"], "dst": ["build.example.com", "10.1.0.0/16"] },
  ],
  "tests": [
    {
      "src": "group:sre",
      "srcPostureAttrs": { "sentinelOne:activeThreats": 0, "sentinelOne:agentVersion": "23.4.10" },
      "accept": ["tag:production:443"],
      "deny": ["build.example.com"],
    },
    { "src": "alice@example.com", "accept": ["tag:production"] },
    { "src": "tag:ci", "allow": ["build.example.com:8080", "10.1.2.3"], "deny": ["10.2.0.1", "tag:production"] },
  ],
}`;

describe('policy tests run locally and report failures where they are written', () => {
  it('passes the DESIGN.md example test', () => {
    const report = runPolicyTests(policy(DESIGN_EXAMPLE_POLICY));
    expect(report).toMatchObject({ passed: 1, failed: [] });
  });

  it('counts passing assertions, group members each, and reports the failing one with its location and reasons', () => {
    const report = runPolicyTests(policy(TEXT));
    expect(report.assertions).toHaveLength(2 * 2 + 1 + 4);
    expect(report.passed).toBe(8);
    expect(report.failed).toEqual([
      {
        testIndex: 1,
        src: 'alice@example.com',
        dst: 'tag:production',
        expected: 'accept',
        got: 'deny',
        reasons: [
          expect.objectContaining({ code: 'ATTRIBUTE_MISSING', attribute: 'sentinelOne:activeThreats' }),
          expect.objectContaining({ code: 'ATTRIBUTE_MISSING', attribute: 'sentinelOne:agentVersion' }),
        ],
        line: 15,
        column: 46,
      },
    ]);
    expect(TEXT.split('\n')[14]?.slice(45, 61)).toBe('"tag:production"');
  });

  it('a test device has only the attributes the test gives it', () => {
    const report = runPolicyTests(policy(TEXT));
    const members = report.assertions.filter((a) => a.testIndex === 0).map((a) => [a.src, a.dst, a.passed]);
    expect(members).toEqual([
      ['group:sre (alice@example.com)', 'tag:production:443', true],
      ['group:sre (bob@example.com)', 'tag:production:443', true],
      ['group:sre (alice@example.com)', 'build.example.com', true],
      ['group:sre (bob@example.com)', 'build.example.com', true],
    ]);
  });
});
