import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_CATALOGUE } from '../vendors/index.ts';
import { createPolicyCompiler } from './compiler.ts';

const compilePolicy = createPolicyCompiler(ATTRIBUTE_CATALOGUE);
import { DESIGN_EXAMPLE_POLICY, TAILSCALE_EXAMPLE_POLICY } from './examples.ts';
import type { PolicyError } from './types.ts';

/** Line and column (1-based) of the first occurrence of `marker` in `text`, plus `shift` characters. */
function at(text: string, marker: string, shift = 0): { line: number; column: number } {
  const offset = text.indexOf(marker);
  if (offset < 0) throw new Error(`marker ${marker} not in text`);
  const before = text.slice(0, offset + shift).split('\n');
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 };
}

function errorsOf(text: string): PolicyError[] {
  const r = compilePolicy(text);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}


describe('valid policies compile', () => {
  it('the DESIGN.md example compiles', () => {
    const r = compilePolicy(DESIGN_EXAMPLE_POLICY);
    expect(r.ok).toBe(true);
  });

  it("Tailscale's SentinelOne example compiles", () => {
    expect(compilePolicy(TAILSCALE_EXAMPLE_POLICY).ok).toBe(true);
  });

  it("Tailscale's documented policy shapes compile (ip field, lists in brackets, bare booleans, lower-case in)", () => {
    const text = `{
      // from Tailscale's device posture docs
      "postures": {
        "posture:latestMac": ["node:os IN ['macos', 'linux']", "node:tsReleaseTrack == 'stable'", "node:tsVersion >= '1.40'"],
        "posture:autoUpdateMac": ["node:os == 'macos'", "node:tsReleaseTrack == 'stable'", "node:tsAutoUpdate"],
        "posture:geo": ["ip:country in ['CA', 'US', 'GB', 'NL']", "custom:attr IS SET"],
        "posture:trusted": ["sentinelOne:operationalState == 'na'", "sentinelOne:activeThreats == 0"],
      },
      "defaultSrcPosture": ["posture:autoUpdateMac", "posture:geo"],
      "grants": [
        { "src": ["autogroup:member"], "dst": ["tag:development"], "ip": ["*"], "srcPosture": ["posture:latestMac"] },
        { "src": ["autogroup:member"], "dst": ["tag:production"], "ip": ["*"], "srcPosture": ["posture:trusted"] },
        { "src": ["*"], "dst": ["tag:intranet", "*.corp.example.com", "10.0.0.0/8", "fd7a:115c:a1e0::/48", "wiki"], "ip": ["tcp:443", "80", "8000-8999", "icmp:*", "udp"] },
      ],
    }`;
    const r = compilePolicy(text);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('an empty object is a valid policy that grants nothing', () => {
    expect(compilePolicy('{}').ok).toBe(true);
    expect(compilePolicy('// nothing yet\n{ }\n').ok).toBe(true);
  });
});

describe('every problem is reported, each with a stable code and its line and column', () => {
  it('collects all errors of a policy, not just the first, in file order', () => {
    const text = `{
  "postures": {
    "posture:a": ["sentinelOne:infected > 3", "sentinelOne:activeThreats == 'x'"],
    "trusted": ["custom:x IS SET"],
  },
  "grants": [
    { "src": ["group:missing", "bogus"], "dst": ["tag:prod:22", "ftp://x"], "srcPosture": ["posture:nope"], "action": "accept" },
  ],
  "acls": [],
}`;
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual([
      'TYPE_MISMATCH',
      'TYPE_MISMATCH',
      'INVALID_POSTURE_NAME',
      'UNDEFINED_GROUP',
      'INVALID_SRC',
      'INVALID_DST',
      'INVALID_DST',
      'UNDEFINED_POSTURE',
      'UNKNOWN_KEY',
      'UNKNOWN_SECTION',
    ]);
    expect(errors[0]).toMatchObject(at(text, 'sentinelOne:infected > 3', 'sentinelOne:infected '.length));
    expect(errors[1]).toMatchObject(at(text, "'x'"));
    expect(errors[2]).toMatchObject(at(text, '"trusted"'));
    expect(errors[3]).toMatchObject({ ...at(text, '"group:missing"'), path: 'grants[0].src[0]' });
    expect(errors[7]).toMatchObject({ ...at(text, '"posture:nope"'), path: 'grants[0].srcPosture[0]' });
    expect(errors[9]).toMatchObject({ ...at(text, '"acls"'), path: 'acls' });
    for (const e of errors) expect(e.message.length).toBeGreaterThan(10);
  });

  it('an undefined posture in defaultSrcPosture is an error at its position', () => {
    const text = '{\n  "defaultSrcPosture": ["posture:ghost"],\n}';
    expect(errorsOf(text)).toEqual([
      expect.objectContaining({ code: 'UNDEFINED_POSTURE', ...at(text, '"posture:ghost"'), path: 'defaultSrcPosture[0]' }),
    ]);
  });

  it('syntax errors point at the offending character', () => {
    const text = '{\n  "grants": [\n    { "src": [\'*\'] }\n  ]\n}';
    expect(errorsOf(text)[0]).toMatchObject({ code: 'POLICY_SYNTAX', ...at(text, "'*'") });
    expect(errorsOf('')[0]).toMatchObject({ code: 'POLICY_SYNTAX', line: 1, column: 1 });
    expect(errorsOf('[]')[0]).toMatchObject({ code: 'POLICY_SYNTAX', message: expect.stringContaining('object') });
    expect(errorsOf('{ "grants": [ }')[0]).toMatchObject({ code: 'POLICY_SYNTAX', line: 1 });
    expect(errorsOf('{ /* open comment ')[0]).toMatchObject({ code: 'POLICY_SYNTAX' });
  });

  it('columns count from the start of the line, also after CRLF line ends', () => {
    const text = '{\r\n  "grants": [],\r\n  "nope": 1,\r\n}';
    expect(errorsOf(text)).toEqual([expect.objectContaining({ code: 'UNKNOWN_SECTION', line: 3, column: 3 })]);
  });

  it('positions inside a condition are exact', () => {
    const text = `{"postures": {"posture:p": ["custom:x == 'a' junk"]}}`;
    expect(errorsOf(text)[0]).toMatchObject({ code: 'INVALID_CONDITION', ...at(text, 'junk') });
  });

  it.each([
    ['{"groups": []}', 'INVALID_TYPE'],
    ['{"grants": {}}', 'INVALID_TYPE'],
    ['{"grants": [1]}', 'INVALID_TYPE'],
    ['{"grants": [{"src": "*", "dst": ["*"]}]}', 'INVALID_TYPE'],
    ['{"grants": [{"src": ["*"], "dst": [1]}]}', 'INVALID_TYPE'],
    ['{"grants": [{"src": ["*"]}]}', 'MISSING_KEY'],
    ['{"grants": [{"src": [], "dst": ["*"]}]}', 'MISSING_KEY'],
    ['{"grants": [{"src": ["*"], "dst": ["*"], "ip": ["tcp:99999"]}]}', 'INVALID_IP_FIELD'],
    ['{"grants": [{"src": ["*"], "dst": ["*"], "ip": ["9000-80"]}]}', 'INVALID_IP_FIELD'],
    ['{"grants": [{"src": ["autogroup:admin"], "dst": ["*"]}]}', 'INVALID_SRC'],
    ['{"grants": [{"src": ["*"], "dst": ["group:x"]}]}', 'INVALID_DST'],
    ['{"grants": [{"src": ["*"], "dst": ["10.0.0.300"]}]}', 'INVALID_DST'],
    ['{"grants": [{"src": ["*"], "dst": ["10.0.0.0/33"]}]}', 'INVALID_DST'],
    ['{"grants": [{"src": ["*"], "dst": ["*"], "srcPosture": ["trusted"]}]}', 'INVALID_POSTURE_NAME'],
    ['{"groups": {"group:a": ["group:b"]}}', 'INVALID_GROUP_MEMBER'],
    ['{"groups": {"sre": []}}', 'INVALID_GROUP_NAME'],
    ['{"groups": {"group:a": [], "group:a": []}}', 'DUPLICATE_KEY'],
    ['{"grants": [], "grants": []}', 'DUPLICATE_KEY'],
    ['{"postures": {"posture:p": []}}', 'EMPTY_POSTURE'],
    ['{"postures": {"posture:p": [3]}}', 'INVALID_TYPE'],
    ['{"tests": [{"src": "a@b.c", "accept": ["*"]}]}', 'INVALID_DST'],
    ['{"tests": [{"src": "a@b.c"}]}', 'INVALID_TEST'],
    ['{"tests": [{"accept": ["tag:a"]}]}', 'MISSING_KEY'],
    ['{"tests": [{"src": "group:none", "accept": ["tag:a"]}]}', 'UNDEFINED_GROUP'],
    ['{"tests": [{"src": "*", "accept": ["tag:a"]}]}', 'INVALID_SRC'],
    ['{"tests": [{"src": "a@b.c", "dst": ["x"], "accept": ["tag:a"]}]}', 'UNKNOWN_KEY'],
    ['{"tests": [{"src": "a@b.c", "srcPostureAttrs": {"bad key": 1}, "accept": ["tag:a"]}]}', 'INVALID_ATTRIBUTE'],
    ['{"tests": [{"src": "a@b.c", "srcPostureAttrs": {"sentinelOne:activeThreats": "0"}, "accept": ["tag:a"]}]}', 'TYPE_MISMATCH'],
    ['{"tests": [{"src": "a@b.c", "srcPostureAttrs": {"custom:x": [1]}, "accept": ["tag:a"]}]}', 'INVALID_TYPE'],
  ])('%s → %s', (text, code) => {
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toContain(code);
    for (const e of errors) expect(e.line).toBeGreaterThanOrEqual(1);
  });
});

describe('tests may use legacy and Tailscale fields', () => {
  it('accepts "allow" as "accept" and ignores "proto"', () => {
    const r = compilePolicy('{"tests": [{"src": "a@b.c", "proto": "tcp", "allow": ["tag:a:443"], "deny": ["10.0.0.1", "[fd00::1]:22", "db.example.com:5432"]}]}');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.policy.tests[0]?.cases.map((c) => c.expected)).toEqual(['accept', 'deny', 'deny', 'deny']);
  });
});
