/**
 * The subject a decision is about (pure), from a device's posture judged at the decision's instant
 * (`judgePosture` in devices: expired custom attributes dropped, stale integration data marked, each vendor's
 * derived `<ns>:verified` added). A stale value never satisfies a posture: absence and old data never pass.
 */
import { judgePosture, type JudgedPosture, type PostureInput } from '../devices/core.ts';
import type { PolicySubject, SubjectAttribute } from './types.ts';

export function subjectFromPosture(device: { id: string; user: string | null; tags: readonly string[] }, judged: JudgedPosture, nowMs: number): PolicySubject {
  const attributes: Record<string, SubjectAttribute> = {};
  for (const [key, attr] of Object.entries(judged.attributes)) {
    attributes[key] = judged.stale.has(key) ? { value: attr.value, stale: true } : { value: attr.value };
  }
  return { deviceId: device.id, user: device.user, tags: device.tags, attributes, nowMs };
}

/** The subject for a device at `input.nowMs`. */
export function buildSubject(input: PostureInput): PolicySubject {
  return subjectFromPosture(input.device, judgePosture(input), input.nowMs);
}

/** A user's risk level at an instant (the risk module's `levelOf`); absent when risk is not in use. */
export type UserRiskLookup = (user: string, nowMs: number) => string;

/**
 * The subject with `user:riskLevel` when it has a user and a lookup is given. A device without a user gets no
 * `user:riskLevel`, so every condition on it fails closed.
 */
export function withUserRisk(subject: PolicySubject, userRisk: UserRiskLookup | undefined, nowMs: number): PolicySubject {
  return withRiskLevel(subject, userRisk && subject.user ? userRisk(subject.user, nowMs) : undefined);
}

/** The subject with `user:riskLevel` set to `level` (already looked up); unchanged when there is none. */
export function withRiskLevel(subject: PolicySubject, level: string | undefined): PolicySubject {
  if (level === undefined || !subject.user) return subject;
  return { ...subject, attributes: { ...subject.attributes, 'user:riskLevel': { value: level } } };
}
