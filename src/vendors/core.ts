/**
 * The pure part of the vendors module, for pure code elsewhere (a source's mapping, URL checks): each vendor's
 * `core.ts`. Nothing here touches I/O.
 */
export * from './sentinelone/core.ts';
