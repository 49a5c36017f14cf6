/**
 * The pure part of the S1 module, importable by pure code elsewhere (sync mapping): S1 timestamp parsing (the one
 * home for it), the console-URL normaliser, and the failure classes. Nothing here touches I/O.
 */
export { normalizeS1Timestamp, parseS1Timestamp, parseS1TimestampMicros, formatS1TimestampMicros } from './timestamps.ts';
export { normalizeS1BaseUrl, isLoopbackHost, isSameS1Host } from './url.ts';
export { s1FailureClass, isRetryableS1Failure, type S1FailureClass } from './errors.ts';
