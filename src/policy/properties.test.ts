import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, type CompileResult } from './compiler.ts';
import { evaluate } from './evaluator.ts';
import type { PolicySubject } from './types.ts';

/** Compiles and checks the result is well formed: ok with a policy, or errors with sane positions. */
function compileChecked(text: string): CompileResult {
  const started = performance.now();
  const r = compilePolicy(text);
  expect(performance.now() - started).toBeLessThan(2000);
  if (r.ok) return r;
  expect(r.errors.length).toBeGreaterThan(0);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const e of r.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines).toBe(true);
    expect(Number.isInteger(e.column) && e.column >= 1).toBe(true);
    expect(typeof e.code).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
  return r;
}

const SECTION = fc.constantFrom('groups', 'postures', 'defaultSrcPosture', 'grants', 'tests', 'acls', 'src', '');
const WORD = fc.constantFrom(
  '*', 'autogroup:member', 'a@x.com', 'group:g', 'tag:a', 'posture:p', 'posture:q', '10.0.0.0/8', 'h.example.com',
  "custom:x == 'a'", 'sentinelOne:activeThreats > 2', 'sentinelOne:infected', "node:os IN ['macos']", 'custom:y NOT SET',
);

/** JSON values biased towards the policy's own vocabulary, nested a few levels. */
const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    WORD,
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(SECTION, WORD, fc.constantFrom('src', 'dst', 'ip', 'srcPosture', 'accept', 'deny', 'srcPostureAttrs')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

describe('the compiler never throws or hangs, and always positions its errors', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void compileChecked(s)), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void compileChecked(s)), { numRuns: 200 });
  });

  it('on arbitrary JSON-ish documents, with comments and trailing commas', () => {
    fc.assert(
      fc.property(fc.dictionary(SECTION, jsonish, { maxKeys: 5 }), fc.boolean(), (doc, decorate) => {
        let text = JSON.stringify(doc, null, 2);
        if (decorate) text = `// policy\n${text.replace(/\n(\s*)([}\]])/g, ',\n$1$2')}`;
        compileChecked(text);
      }),
      { numRuns: 400 },
    );
  });

  it('on arbitrary condition strings made of grammar pieces', () => {
    const piece = fc.oneof(
      fc.constantFrom('custom:x', 'sentinelOne:agentVersion', 'sentinelOne:infected', 'sentinelOne:lastActiveAt', 'IN', 'not', 'IS', 'SET'),
      fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '=', '!', '(', ')', '[', ']', ',', "'", '"', '\\', '-', '1.2.3', '0', 'true'),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const text = JSON.stringify({ postures: { 'posture:p': [pieces.join(' ')] } });
        compileChecked(text);
      }),
      { numRuns: 500 },
    );
  });

  it('on truncated and deeply nested input', () => {
    const text = '{"postures": {"posture:p": ["custom:x == \'a\'"]}, "grants": [{"src": ["*"], "dst": ["tag:a"], "srcPosture": ["posture:p"]}]}';
    for (let i = 0; i <= text.length; i++) compileChecked(text.slice(0, i));
    compileChecked('['.repeat(20000));
    compileChecked(`{"grants": ${'['.repeat(5000)}`);
    compileChecked(`{"postures": {"posture:p": ["custom:x IN (${"'a',".repeat(20000)})"]}}`);
  });
});

const ATTRS = ['sentinelOne:activeThreats', 'sentinelOne:infected', 'sentinelOne:agentVersion', 'sentinelOne:operationalState', 'custom:x'];
const CONDITION = fc.constantFrom(
  'sentinelOne:activeThreats == 0', 'sentinelOne:activeThreats < 3', 'sentinelOne:activeThreats NOT IN (1, 2)',
  'sentinelOne:infected == false', 'sentinelOne:infected', 'sentinelOne:infected != true',
  "sentinelOne:agentVersion >= '23.4.2'", "sentinelOne:agentVersion IN ('1.0', '23.4.10')",
  "sentinelOne:operationalState == 'na'", "sentinelOne:operationalState NOT IN ('fully_disabled')",
  "custom:x == 'a'", 'custom:x > 5', 'custom:x IS SET', 'custom:x NOT SET', 'custom:x',
);
const SRC = fc.constantFrom('*', 'autogroup:member', 'a@x.com', 'group:g', 'tag:a', 'tag:b');
const DST = fc.constantFrom('*', 'tag:a', 'tag:b', 'h.example.com', '*.example.com', '10.0.0.0/8', 'fd00::/8');
const ASKED = fc.constantFrom('tag:a', 'tag:b', 'h.example.com', 'x.example.com', 'example.com', '10.1.2.3', '11.0.0.1', 'fd00::1', 'other');
const POSTURES = ['posture:p0', 'posture:p1', 'posture:p2'];

const policyText = fc
  .record({
    postures: fc.tuple(...POSTURES.map(() => fc.array(CONDITION, { minLength: 1, maxLength: 3 }))),
    defaults: fc.subarray(POSTURES),
    grants: fc.array(
      fc.record({
        src: fc.array(SRC, { minLength: 1, maxLength: 2 }),
        dst: fc.array(DST, { minLength: 1, maxLength: 2 }),
        srcPosture: fc.option(fc.subarray(POSTURES), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ postures, defaults, grants }) =>
    JSON.stringify({
      groups: { 'group:g': ['a@x.com'] },
      postures: Object.fromEntries(POSTURES.map((p, i) => [p, postures[i]])),
      defaultSrcPosture: defaults,
      grants,
    }),
  );

const attributeValue = fc.oneof(fc.constantFrom(0, 1, 2, 7, true, false, 'a', 'na', '23.4.10', '1.0', 'fully_disabled'), fc.string());
const subject: fc.Arbitrary<PolicySubject | null> = fc.option(
  fc.record({
    deviceId: fc.option(fc.constant('dev_1'), { nil: null, freq: 10 }),
    user: fc.constantFrom(null, 'a@x.com', 'A@X.COM', 'b@x.com'),
    tags: fc.subarray(['tag:a', 'tag:b', 'tag:c']),
    attributes: fc.dictionary(fc.constantFrom(...ATTRS), fc.record({ value: attributeValue, stale: fc.boolean() }), { maxKeys: 5 }),
  }),
  { nil: null, freq: 20 },
);

describe('explained and fast evaluation always agree', () => {
  it('on allow and on the grant, for generated policies, devices and destinations', () => {
    fc.assert(
      fc.property(policyText, fc.array(fc.tuple(subject, ASKED), { minLength: 1, maxLength: 10 }), (text, asks) => {
        const r = compilePolicy(text);
        expect(r.ok ? [] : r.errors).toEqual([]);
        if (!r.ok) return;
        for (const [s, dst] of asks) {
          const full = evaluate(r.policy, s, dst);
          const fast = evaluate(r.policy, s, dst, { explain: false });
          expect(fast.allow).toBe(full.allow);
          expect(fast.grant?.index ?? null).toBe(full.grant?.index ?? null);
          expect(full.allow ? full.reasons.map((x) => x.code) : []).toEqual(full.allow ? ['ALLOWED'] : []);
          if (!full.allow) expect(full.reasons.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
