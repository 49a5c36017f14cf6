/**
 * The pure part of the vendors module, for pure code elsewhere (a source's mapping, URL checks): each vendor's
 * `core.ts`. Nothing here touches I/O.
 */
export * from './sentinelone/core.ts';
export { SENTINELONE_ATTRIBUTES, SENTINELONE_SYNCED_KEYS } from './sentinelone/attributes.ts';
export { sentinelOneHealth, sentinelOneFactsOf, SENTINELONE_HEALTH_REASONS, SENTINELONE_HEALTH_RULES, SENTINELONE_HEALTH_SIGNALS, type SentinelOneFacts } from './sentinelone/health.ts';
export { judgeHealth, isSilent } from './types.ts';
