/**
 * `postern rotate-master-key`: re-seals every stored secret under a new master key in one transaction. With a key
 * file, the new key replaces the file only after the database commit; a crash in between leaves the new key in
 * `<file>.new` beside the old one, so nothing becomes unreadable. Run it while postern is stopped.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, masterKeyFileFor, type Config } from '../../config/index.ts';
import { PosternError } from '../../lib/errors.ts';
import { createSecretBox, parseMasterKey } from '../../lib/secrets.ts';
import { openStore, resealAll } from '../../store/index.ts';

export interface RotationResult {
  secrets: number;
  /** Where the new key was written, when the key lives in a file. */
  keyFile: string | null;
  /** The new key, when it was generated and the old one came from POSTERN_MASTER_KEY (the caller must store it). */
  generatedKey: string | null;
}

export async function rotateMasterKey(config: Config, newKeyText?: string): Promise<RotationResult> {
  const keyFile = masterKeyFileFor(config);
  const fromEnv = Boolean(config.masterKey);
  if (!fromEnv && !existsSync(keyFile)) {
    throw new PosternError('CONFIG_INVALID', `There is no master key to rotate: POSTERN_MASTER_KEY is unset and ${keyFile} does not exist.`);
  }
  const oldKey = parseMasterKey(fromEnv ? config.masterKey! : readFileSync(keyFile, 'utf8'));
  const newKey = newKeyText ? parseMasterKey(newKeyText) : randomBytes(32);
  if (newKey.equals(oldKey)) throw new PosternError('CONFIG_INVALID', 'The new master key is the same as the current one.');

  const pending = `${keyFile}.new`;
  if (!fromEnv) {
    writeFileSync(pending, newKey.toString('hex') + '\n', { mode: 0o600 });
    chmodSync(pending, 0o600);
  }
  const store = await openStore(config.databaseUrl);
  let secrets: number;
  try {
    secrets = await resealAll(store, createSecretBox(oldKey), createSecretBox(newKey));
  } finally {
    await store.close();
  }
  if (!fromEnv) renameSync(pending, keyFile);
  return { secrets, keyFile: fromEnv ? null : keyFile, generatedKey: fromEnv && !newKeyText ? newKey.toString('hex') : null };
}

export function registerRotateMasterKeyCommand(program: Command): void {
  program
    .command('rotate-master-key')
    .description('Re-seal every stored secret under a new master key (run while postern is stopped).')
    .option('--new-key <hex>', 'the new key (64 hex characters); generated when omitted')
    .option('--database-url <url>', 'database (POSTERN_DATABASE_URL)')
    .action(async (opts: { newKey?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, { databaseUrl: opts.databaseUrl });
      const result = await rotateMasterKey(config, opts.newKey);
      process.stdout.write(`Re-sealed ${result.secrets} secret(s) under the new master key.\n`);
      if (result.keyFile) process.stdout.write(`The new key is in ${result.keyFile}.\n`);
      else if (result.generatedKey) process.stdout.write(`Set POSTERN_MASTER_KEY=${result.generatedKey} before the next start.\n`);
      else process.stdout.write('Set POSTERN_MASTER_KEY to the new key before the next start.\n');
    });
}
