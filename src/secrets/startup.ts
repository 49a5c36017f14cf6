/**
 * Start-up of a process that uses sealed secrets: take the `serve` lease (refused while a rotation runs), pick the
 * deployment's master key, then check every sealed secret: each must open under its row's binding. Secrets sealed
 * before they were bound (`v1:`) are re-sealed bound to their row and host here, in one transaction: this is the
 * data half of migration 0015, which needs the key a migration cannot read. A secret whose binding fails (its row
 * was pointed at another host outside postern) is reported; it is never opened for use, and its source stops at
 * its next sync.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { isPosternError } from '../lib/errors.ts';
import { createSecretBox, isUnboundSealed, type SecretBox } from '../lib/secrets.ts';
import { listSealed, writeSealed, type Store, type StoredSecret } from '../store/index.ts';
import { resolveMasterKey, type KeySource, type ResolvedKey } from './keyring.ts';
import { acquireLease, type ProcessLease } from './lease.ts';

export interface SecretCheck {
  checked: number;
  /** `v1:` secrets re-sealed bound to their row. */
  resealed: number;
  /** Secrets whose binding failed: `table`, `rowId`, `column`. */
  unbound: Pick<StoredSecret, 'table' | 'rowId' | 'column'>[];
}

/** Opens every sealed secret; re-seals unbound (`v1:`) ones in one transaction. A wrong key throws. */
export async function checkEverySecret(store: Store, box: SecretBox): Promise<SecretCheck> {
  const all = await listSealed(store.db);
  const unbound: SecretCheck['unbound'] = [];
  const legacy: StoredSecret[] = [];
  for (const s of all) {
    if (isUnboundSealed(s.sealed)) {
      box.openUnbound(s.sealed);
      legacy.push(s);
      continue;
    }
    try {
      box.open(s.sealed, s.context);
    } catch (err) {
      if (isPosternError(err) && err.code === 'SECRET_BINDING_INVALID') unbound.push({ table: s.table, rowId: s.rowId, column: s.column });
      else throw err;
    }
  }
  if (legacy.length > 0) {
    await store.transaction(async (tx) => {
      for (const s of legacy) await writeSealed(tx, s, box.seal(box.openUnbound(s.sealed), s.context));
    });
  }
  return { checked: all.length, resealed: legacy.length, unbound };
}

export interface DeploymentSecrets {
  secrets: SecretBox;
  key: ResolvedKey;
  check: SecretCheck;
  lease: ProcessLease;
}

/** Everything a serving process does with the master key before it serves; releases the lease when it refuses. */
export async function openDeploymentSecrets(store: Store, source: KeySource, clock: Clock): Promise<DeploymentSecrets> {
  const lease = await acquireLease(store, 'serve', clock);
  try {
    const key = await resolveMasterKey(store, source, clock);
    const secrets = createSecretBox(key.key);
    const check = await checkEverySecret(store, secrets);
    return { secrets, key, check, lease };
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }
}

/** What an operator must hear about the deployment's secrets at start: a new key to back up, notes, unbound secrets. */
export function reportDeploymentSecrets(deployment: DeploymentSecrets, keyFile: string, logger: Logger): void {
  const { key, check, secrets } = deployment;
  if (key.from === 'generated') logger.info({ keyFile, keyId: secrets.keyId }, `generated the master key in ${keyFile} (mode 0600); back it up, and give every host of this deployment the same key`);
  for (const note of key.notes) logger.warn({ keyId: secrets.keyId }, note);
  for (const bad of check.unbound) {
    logger.error(bad, 'a stored secret does not belong to its row or host (changed outside postern); it is never sent, and its source stops at its next sync');
  }
  if (check.resealed > 0) logger.info({ resealed: check.resealed }, 'bound stored secrets to their rows and hosts (migration 0015)');
}
