/**
 * Master-key rotation, ordered so that a crash at any step leaves a key on disk for every secret:
 * 1. take the `rotate` lease (refused while any postern process holds the database) and finish or roll back an
 *    earlier interrupted rotation, exactly as start-up would;
 * 2. write the new key to `<keyFile>.new` (exclusive create, fsync file and directory) and record it as
 *    `next_key_id`;
 * 3. in one transaction, re-seal every secret under the new key and record it as the deployment's key;
 * 4. with a key file, rename `.new` over it (fsync the directory). With POSTERN_MASTER_KEY, `.new` stays until the
 *    variable holds the new key.
 * A start after a crash before 3 rolls back (the rows still need the old key); after 3, it finishes.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import { createSecretBox, keyIdOf, parseMasterKey } from '../lib/secrets.ts';
import { resealIn, type Store } from '../store/index.ts';
import { replaceDurably, writeKeyFileDurably } from './key-files.ts';
import { pendingFileFor, resolveMasterKey, type KeySource } from './keyring.ts';
import { acquireLease } from './lease.ts';

/** Points a test may stop the rotation at (with a real SIGKILL) to prove it recovers. */
export type RotationStep = 'key-written' | 'before-commit' | 'after-commit' | 'before-rename' | 'after-rename';

export interface RotationResult {
  secrets: number;
  oldKeyId: string;
  newKeyId: string;
  /** Where the new key is: the key file (done), or `<keyFile>.new` to copy into POSTERN_MASTER_KEY. */
  keyFile: string;
  mode: 'file' | 'env';
  /** Things the operator must hear about (an earlier interrupted rotation finished or rolled back). */
  notes: string[];
}

export async function rotateMasterKey(
  store: Store,
  source: KeySource,
  options: { newKey?: string; clock: Clock; step?: (step: RotationStep) => void },
): Promise<RotationResult> {
  const step = options.step ?? (() => undefined);
  const envMode = source.envKey !== undefined && source.envKey.trim() !== '';
  const lease = await acquireLease(store, 'rotate', options.clock);
  try {
    const current = await resolveMasterKey(store, source, options.clock);
    if (current.from === 'pending') {
      throw new PosternError(
        'CONFIG_INVALID',
        `POSTERN_MASTER_KEY still holds the key from before the last rotation; set it to the key in ${pendingFileFor(source.keyFile)} (the key the database needs), then rotate again.`,
      );
    }
    const newKey = options.newKey ? parseMasterKey(options.newKey, '--new-key') : randomBytes(32);
    if (newKey.equals(current.key)) throw new PosternError('CONFIG_INVALID', '--new-key: is the same as the current master key; give another key, or omit it to generate one.');
    const newKeyId = keyIdOf(newKey);
    const pendingFile = pendingFileFor(source.keyFile);

    writeKeyFileDurably(pendingFile, newKey);
    step('key-written');
    await store.db.updateTable('master_key_state').set({ next_key_id: newKeyId, updated_at: options.clock.now().toISOString() }).where('id', '=', 'deployment').execute();

    const from = createSecretBox(current.key);
    const to = createSecretBox(newKey);
    const secrets = await store.transaction(async (tx) => {
      const count = await resealIn(tx, from, to);
      await tx.updateTable('master_key_state').set({ key_id: newKeyId, next_key_id: null, updated_at: options.clock.now().toISOString() }).where('id', '=', 'deployment').execute();
      step('before-commit');
      return count;
    });
    step('after-commit');
    if (!envMode) {
      step('before-rename');
      replaceDurably(pendingFile, source.keyFile);
      step('after-rename');
    }
    return { secrets, oldKeyId: current.keyId, newKeyId, keyFile: envMode ? pendingFile : source.keyFile, mode: envMode ? 'env' : 'file', notes: current.notes };
  } finally {
    await lease.release().catch(() => undefined);
  }
}
