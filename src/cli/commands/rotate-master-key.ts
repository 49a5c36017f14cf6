/**
 * `postern rotate-master-key`: re-seals every stored secret under a new master key, crash-safe (see
 * `src/secrets/rotation.ts`): the new key is on disk before the database changes, and any start after a crash
 * finishes or rolls back the rotation by itself. Refuses while any postern process holds the database.
 */
import type { Command } from 'commander';
import { loadConfig, masterKeyFileFor, type Config } from '../../config/index.ts';
import { systemClock } from '../../lib/clock.ts';
import { rotateMasterKey as rotate, type RotationResult, type RotationStep } from '../../secrets/index.ts';
import { openStore } from '../../store/index.ts';

export async function rotateMasterKey(config: Config, newKeyText?: string, step?: (s: RotationStep) => void): Promise<RotationResult> {
  const store = await openStore(config.databaseUrl);
  try {
    return await rotate(store, { envKey: config.masterKey, keyFile: masterKeyFileFor(config) }, { ...(newKeyText ? { newKey: newKeyText } : {}), clock: systemClock, ...(step ? { step } : {}) });
  } finally {
    await store.close();
  }
}

export function registerRotateMasterKeyCommand(program: Command): void {
  program
    .command('rotate-master-key')
    .description('Re-seal every stored secret under a new master key (refused while postern runs; safe to interrupt).')
    .option('--new-key <key>', 'the new key (64 hex characters or canonical base64); generated when omitted')
    .option('--database-url <url>', 'database (POSTERN_DATABASE_URL)')
    .action(async (opts: { newKey?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, { databaseUrl: opts.databaseUrl });
      const result = await rotateMasterKey(config, opts.newKey);
      for (const note of result.notes) process.stdout.write(`${note}\n`);
      process.stdout.write(`Re-sealed ${result.secrets} secret(s): master key ${result.oldKeyId} -> ${result.newKeyId}.\n`);
      if (result.mode === 'file') process.stdout.write(`The new key is in ${result.keyFile} (mode 0600); copy it to every host that runs postern on this database.\n`);
      else {
        process.stdout.write(
          `The new key is in ${result.keyFile} (mode 0600). Set POSTERN_MASTER_KEY to its contents on every host before the next start;\n` +
            'until then postern starts with that file, and removes it once POSTERN_MASTER_KEY holds the new key.\n',
        );
      }
    });
}
