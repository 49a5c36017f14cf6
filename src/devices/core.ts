/**
 * The pure core of devices, importable by other pure code (sync mapping, policy): serial normalising, matching,
 * verification and the device view. Nothing here touches I/O.
 */
export { normalizeSerial, isPlaceholderSerial, usableSerial } from './serial.ts';
export { createMatcher, matchAgents, compareAgentRecency, indexDevicesBySerial, devicesOf } from './matcher.ts';
export type { Matcher, MatchResult, DeviceMatch, MatchableAgent, MatchableDevice, UnmatchedAgent, DevicesBySerial, SerialIndex } from './matcher.ts';
export { verifyDevice, verifyWith, integrationsOf, factFieldsOf, silenceCodesOf } from './verification.ts';
export type { AgentsByIntegration, Verification, VerificationReason, VerificationReasonCode, VerifiableAgent, VerifyingIntegration, VendorVerifier, HealthCheckInput } from './verification.ts';
export { buildDeviceView } from './view.ts';
export { judgePosture, judgedUntil, nodeAttributes, liveAttributes, agentForVerification, verifiedKey, type JudgedPosture, type PostureInput } from './posture.ts';
export { isStale, isFreshnessStale, type SourceFreshness } from './freshness.ts';
export { canonicalOs, sameAddress } from './identity-rules.ts';
export { normalizeMac, usableMac, macProblem } from './mac.ts';
