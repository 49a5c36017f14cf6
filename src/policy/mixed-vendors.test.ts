/**
 * One policy may mix conditions of several EDR vendors. Over devices seen by SentinelOne only, Falcon only, both
 * or neither, each condition is judged on its own vendor's attributes and `<ns>:verified`, and a vendor that does
 * not see the device fails its conditions closed (ATTRIBUTE_MISSING), never passes them. Pure: the generic
 * verification with the registered vendors' health rules, then the evaluator with their attribute catalogue.
 */
import { describe, expect, it } from 'vitest';
import { judgePosture, type VerifyingIntegration } from '../devices/core.ts';
import type { Device } from '../devices/index.ts';
import type { StoredAttribute } from '../lib/attributes.ts';
import { ATTRIBUTE_CATALOGUE, VENDOR_PROFILES } from '../vendors/index.ts';
import { createPolicyCompiler } from './compiler.ts';
import { evaluate } from './evaluator.ts';
import { subjectFromPosture } from './subject.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const recent = '2026-03-01T11:55:00Z';
const S1 = 'int_s1';
const FALCON = 'int_falcon';
const integrations: VerifyingIntegration[] = [
  { id: S1, provider: 'sentinelone', lastSuccessfulSyncAt: recent, staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
  { id: FALCON, provider: 'falcon', lastSuccessfulSyncAt: recent, staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 },
];

const POLICY = `{
  "postures": {
    "posture:s1": ["sentinelOne:verified == true", "sentinelOne:activeThreats == 0"],
    "posture:falcon": ["falcon:verified == true", "falcon:ztaScore >= 70", "falcon:sensorVersion >= '7.9'"],
    "posture:both": ["sentinelOne:verified == true", "falcon:verified == true", "falcon:ztaScore >= 70"],
  },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:s1"], "srcPosture": ["posture:s1"] },
    { "src": ["autogroup:member"], "dst": ["tag:falcon"], "srcPosture": ["posture:falcon"] },
    { "src": ["autogroup:member"], "dst": ["tag:both"], "srcPosture": ["posture:both"] },
    { "src": ["autogroup:member"], "dst": ["tag:either"], "srcPosture": ["posture:s1", "posture:falcon"] },
  ],
}`;

const compiled = createPolicyCompiler(ATTRIBUTE_CATALOGUE)(POLICY);
if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
const policy = compiled.policy;

const attr = (value: string | number | boolean, source: string): StoredAttribute => ({ value, source, updatedAt: recent });
const s1Agent = { lastActiveDate: recent, infected: false, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na' };
const s1Attributes = { 'sentinelOne:activeThreats': attr(0, S1), 'sentinelOne:lastActiveAt': attr(recent, S1) };
const falconHost = { host: { lastSeen: recent, status: 'normal', reducedFunctionalityMode: 'no', hostHiddenStatus: 'visible' }, assessment: { overall: 82 } };
// 7.18 is newer than 7.9 only when compared as a version.
const falconAttributes = { 'falcon:ztaScore': attr(82, FALCON), 'falcon:sensorVersion': attr('7.18.18413.0', FALCON), 'falcon:lastSeenAt': attr(recent, FALCON) };

function device(seenBy: { s1?: boolean; falcon?: boolean }) {
  const d: Device = {
    id: 'dev_1', name: 'laptop', os: 'macos', osVersion: null, serialNumbers: ['C02XYZ123'], pendingSerials: [], addresses: [], reportedAddresses: [],
    user: 'alice@example.com', claimedUser: null, tags: [], createdAt: recent, updatedAt: recent,
  };
  const agents = new Map<string, Record<string, unknown>>();
  let stored: Record<string, StoredAttribute> = {};
  if (seenBy.s1) (agents.set(S1, s1Agent), (stored = { ...stored, ...s1Attributes }));
  if (seenBy.falcon) (agents.set(FALCON, falconHost), (stored = { ...stored, ...falconAttributes }));
  const judged = judgePosture({ device: d, stored, agents, integrations, vendors: VENDOR_PROFILES, nowMs: NOW });
  return { judged, subject: subjectFromPosture(d, judged, NOW) };
}

describe('a policy mixing sentinelOne: and falcon: conditions', () => {
  it.each([
    ['SentinelOne only', { s1: true }, { 'tag:s1': true, 'tag:falcon': false, 'tag:both': false, 'tag:either': true }],
    ['Falcon only', { falcon: true }, { 'tag:s1': false, 'tag:falcon': true, 'tag:both': false, 'tag:either': true }],
    ['both', { s1: true, falcon: true }, { 'tag:s1': true, 'tag:falcon': true, 'tag:both': true, 'tag:either': true }],
    ['neither', {}, { 'tag:s1': false, 'tag:falcon': false, 'tag:both': false, 'tag:either': false }],
  ])('a device seen by %s reaches exactly what its vendors vouch for', (_name, seenBy, expected) => {
    const { subject } = device(seenBy);
    for (const [dst, allow] of Object.entries(expected)) expect(evaluate(policy, subject, dst).allow, dst).toBe(allow);
  });

  it('a vendor that does not see the device fails its conditions closed, as missing attributes', () => {
    const { subject, judged } = device({ s1: true });
    const denied = evaluate(policy, subject, 'tag:falcon');
    expect(denied.allow).toBe(false);
    expect(denied.reasons.map((r) => r.code)).toContain('ATTRIBUTE_MISSING');
    expect(judged.attributes['falcon:verified']).toBeUndefined();
    expect(judged.verification.falcon?.reasons.map((r) => r.code)).toEqual(['NO_HOST']);
    expect(judged.verification.sentinelOne).toEqual({ verified: true, reasons: [] });
  });

  it('falcon:ztaScore is typed numeric and falcon:sensorVersion compares as a version', () => {
    const compile = createPolicyCompiler(ATTRIBUTE_CATALOGUE);
    const wrong = compile(`{ "postures": { "posture:x": ["falcon:ztaScore >= '70'"] }, "grants": [] }`);
    expect(wrong.ok).toBe(false);
    const low = device({ falcon: true });
    const older = { ...low.subject, attributes: { ...low.subject.attributes, 'falcon:sensorVersion': { value: '7.8.1' } } };
    expect(evaluate(policy, older, 'tag:falcon').allow).toBe(false);
  });
});
