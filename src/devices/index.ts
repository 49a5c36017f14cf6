/**
 * Devices: the inventory (records, addresses, tags, users), their posture attributes, and the pure core that
 * normalises serial numbers, matches EDR records to devices and derives each registered vendor's `<ns>:verified`
 * with the vendor's health rules handed in.
 * Imported by sync (matching, attribute writes), policy service (subjects), api and main. The pure files
 * (`serial`, `matcher`, `verification`, `view`) import no I/O.
 */
export { normalizeSerial, isPlaceholderSerial, usableSerial } from './serial.ts';
export { normalizeMac, usableMac, macProblem } from './mac.ts';
export {
  createMatcher,
  indexDevicesBySerial,
  devicesOf,
  matchAgents,
  compareAgentRecency,
  type Matcher,
  type MatchResult,
  type DeviceMatch,
  type MatchableAgent,
  type MatchableDevice,
  type DevicesBySerial,
  type SerialIndex,
  type UnmatchedAgent,
} from './matcher.ts';
export {
  verifyDevice,
  verifyWith,
  integrationsOf,
  factFieldsOf,
  silenceCodesOf,
  type Verification,
  type VerificationReason,
  type VerificationReasonCode,
  type AgentsByIntegration,
  type VerifiableAgent,
  type VerifyingIntegration,
  type VendorVerifier,
  type HealthCheckInput,
} from './verification.ts';
export { buildDeviceView } from './view.ts';
export { judgePosture, judgedUntil, nodeAttributes, liveAttributes, agentForVerification, verifiedKey, type JudgedPosture, type PostureInput } from './posture.ts';
export { isStale, isFreshnessStale, type SourceFreshness } from './freshness.ts';
export { resolveAttributes, type SourcedAttribute, type ResolvedAttributes } from './attribute-resolution.ts';
export { createSyncedRepo, type SyncedRepo, type SyncPlan, type WrittenSlice, type WriteOptions, type DesiredDevice, type AttributeChange } from './synced.ts';
export { createDeviceRepo, toStoredAttribute, type DeviceRepo } from './repo.ts';
export { chunks } from '../lib/chunks.ts';
export { createDeviceService, CUSTOM_KEY_PATTERN, type DeviceService, type Actor } from './service.ts';
export { canonicalOs, sameAddress, conflictNote, CONFLICT_CODES, type SerialRow, type AddressRow, type ConflictCode } from './identity-rules.ts';
export type { SourceId, SourceStatement } from './source-writes.ts';
export type { DeviceChange, DeviceChangeHook } from './identity.ts';
export type { DeviceConflict, Device, DeviceFacts, DeviceInput, DevicePatch, DeviceSource, DeviceView, EnrollmentRequest } from './types.ts';
