/**
 * Which master key opens this deployment's secrets. The database records the fingerprint (key id) of the
 * deployment's key, written by the first process; each sealed secret names the key that sealed it. From those,
 * start-up and rotation pick `POSTERN_MASTER_KEY` / `master.key` or `master.key.new`, finish a rotation that
 * committed but did not rename its key file, roll back one that did not commit, and refuse any other key without
 * changing shared state. A key file is generated only for a database that has no key yet.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import { keyIdOf, keyIdOfSealed, parseMasterKey } from '../lib/secrets.ts';
import { listSealed, type Executor, type Store } from '../store/index.ts';
import { readKeyFileIfPresent, removeDurably, replaceDurably, writeKeyFileDurably } from './key-files.ts';

export interface KeySource {
  /** POSTERN_MASTER_KEY, when set. */
  envKey?: string | undefined;
  /** The key file (POSTERN_MASTER_KEY_FILE or its default); `<keyFile>.new` holds a key being rotated to. */
  keyFile: string;
}

export interface ResolvedKey {
  key: Buffer;
  keyId: string;
  /** Where it came from: the variable, the key file, the rotation's `.new` file, or generated just now. */
  from: 'env' | 'file' | 'pending' | 'generated';
  /** Things the operator must hear about (an interrupted rotation finished or rolled back). */
  notes: string[];
}

const STATE_ID = 'deployment';

export const pendingFileFor = (keyFile: string) => `${keyFile}.new`;

export async function readKeyState(db: Executor) {
  return (await db.selectFrom('master_key_state').selectAll().where('id', '=', STATE_ID).executeTakeFirst()) ?? null;
}

/** The key ids the stored secrets were sealed with. */
async function sealedKeyIds(db: Executor): Promise<Set<string>> {
  return new Set((await listSealed(db)).map((s) => keyIdOfSealed(s.sealed) ?? '?'));
}

/**
 * Picks the deployment's master key, finishing or rolling back an interrupted rotation, and records the key's
 * fingerprint when the database has none yet. Refuses (MASTER_KEY_INVALID) a key that is not the deployment's.
 */
export async function resolveMasterKey(store: Store, source: KeySource, clock: Clock): Promise<ResolvedKey> {
  const envSet = source.envKey !== undefined && source.envKey.trim() !== '';
  const primaryName = envSet ? 'POSTERN_MASTER_KEY' : source.keyFile;
  const primary = envSet ? parseMasterKey(source.envKey!) : readKeyFileIfPresent(source.keyFile);
  const pendingFile = pendingFileFor(source.keyFile);
  const pending = readKeyFileIfPresent(pendingFile);

  const state = await readKeyState(store.db);
  const ids = await sealedKeyIds(store.db);
  if (ids.size > 1) {
    throw new PosternError('MASTER_KEY_INVALID', `Stored secrets are sealed with several master keys (${[...ids].join(', ')}); restore the database from a backup taken with one key.`);
  }
  const needed = state?.key_id ?? [...ids][0] ?? null;
  if (state && ids.size === 1 && !ids.has(state.key_id)) {
    throw new PosternError('MASTER_KEY_INVALID', `The database records master key ${state.key_id} but its secrets are sealed with ${[...ids][0]}; the database was altered or restored in part.`);
  }
  const notes: string[] = [];
  let chosen: ResolvedKey;

  if (needed === null) {
    // A database without a key yet: this process's key becomes the deployment's.
    if (primary) chosen = { key: primary, keyId: keyIdOf(primary), from: envSet ? 'env' : 'file', notes };
    else {
      const key = randomBytes(32);
      writeKeyFileDurably(source.keyFile, key);
      chosen = { key, keyId: keyIdOf(key), from: 'generated', notes };
    }
  } else if (primary && keyIdOf(primary) === needed) {
    chosen = { key: primary, keyId: needed, from: envSet ? 'env' : 'file', notes };
    if (pending) {
      // Either a rotation that never committed (no row needs that key) or, with POSTERN_MASTER_KEY, the new key of a
      // finished one that the variable now holds too: the file is not needed either way.
      removeDurably(pendingFile);
      notes.push(
        keyIdOf(pending) === needed
          ? `${pendingFile} held the same key as POSTERN_MASTER_KEY (${needed}); removed it.`
          : `A master-key rotation was interrupted before it committed: rolled back (removed ${pendingFile}, key ${keyIdOf(pending)}, which no secret needs).`,
      );
    }
  } else if (pending && keyIdOf(pending) === needed) {
    if (envSet) {
      chosen = { key: pending, keyId: needed, from: 'pending', notes };
      notes.push(
        `A master-key rotation committed, but POSTERN_MASTER_KEY still holds the old key: started with the new key from ${pendingFile}. Set POSTERN_MASTER_KEY to the contents of that file before the next start; postern removes the file once it does.`,
      );
    } else {
      replaceDurably(pendingFile, source.keyFile);
      chosen = { key: pending, keyId: needed, from: 'file', notes };
      notes.push(`Finished an interrupted master-key rotation: ${source.keyFile} now holds the new key (${needed}).`);
    }
  } else if (!primary) {
    throw new PosternError(
      'MASTER_KEY_INVALID',
      `This database's secrets are sealed with master key ${needed}, but POSTERN_MASTER_KEY is unset and ${source.keyFile} does not exist. postern never makes a new key for a database that has one: restore the key file (mode 0600) or set POSTERN_MASTER_KEY from where you keep the key.`,
    );
  } else {
    throw new PosternError(
      'MASTER_KEY_INVALID',
      `This deployment's master key is ${needed}, but ${primaryName} holds key ${keyIdOf(primary)}${pending ? ` and ${pendingFile} holds ${keyIdOf(pending)}` : ''}. Every postern process must use the same key: copy it from the host that set up this database (docs/operations.md, "One key per deployment"). Nothing was changed.`,
    );
  }

  const now = clock.now().toISOString();
  if (!state) {
    await store.db.insertInto('master_key_state').values({ id: STATE_ID, key_id: chosen.keyId, next_key_id: null, updated_at: now }).onConflict((c) => c.column('id').doNothing()).execute();
    const recorded = await readKeyState(store.db);
    if (recorded && recorded.key_id !== chosen.keyId) {
      throw new PosternError('MASTER_KEY_INVALID', `Another postern process recorded master key ${recorded.key_id} for this database first; this one has ${chosen.keyId}. Every process must use the same key.`);
    }
  } else if (state.next_key_id !== null) {
    await store.db.updateTable('master_key_state').set({ next_key_id: null, updated_at: now }).where('id', '=', STATE_ID).execute();
  }
  return chosen;
}
