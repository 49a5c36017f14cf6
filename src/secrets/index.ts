/**
 * The master key's lifecycle: which key opens this deployment's secrets (one fingerprint per deployment, recorded
 * in the database), strict key files, crash-safe rotation, the start-up check of every sealed secret, and the
 * process leases that keep a rotation and a running server apart. Imported by main and cli.
 */
export { pendingFileFor, readKeyState, resolveMasterKey, type KeySource, type ResolvedKey } from './keyring.ts';
export { readKeyFile, writeKeyFileDurably } from './key-files.ts';
export { acquireLease, isHeld, LEASE_MS, type LeaseKind, type ProcessLease } from './lease.ts';
export { rotateMasterKey, type RotationResult, type RotationStep } from './rotation.ts';
export { checkEverySecret, openDeploymentSecrets, reportDeploymentSecrets, type DeploymentSecrets, type SecretCheck } from './startup.ts';
