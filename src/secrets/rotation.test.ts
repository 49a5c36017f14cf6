import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { loadConfig, masterKeyFileFor, type Config } from '../config/index.ts';
import { silentLogger } from '../lib/logger.ts';
import { keyIdOf, keyIdOfSealed, parseMasterKey } from '../lib/secrets.ts';
import { createPostern } from '../main.ts';
import { startS1Simulator, type S1Simulator } from '../vendors/sentinelone/index.ts';
import { listSealed } from '../store/index.ts';
import { rotateMasterKey } from '../cli/commands/rotate-master-key.ts';
import type { RotationStep } from './index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'pst_rotation_crash_admin_token_0123456789';

let sim: S1Simulator;
beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 3, seed: 7 });
});
afterAll(async () => sim.close());

type Mode = 'file' | 'env';

async function deployment(databaseUrl: string, mode: Mode): Promise<{ config: Config; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-rotate-crash-'));
  const env: Record<string, string> = {
    POSTERN_DATABASE_URL: databaseUrl,
    POSTERN_ADMIN_TOKEN: ADMIN,
    POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
    ...(mode === 'env' ? { POSTERN_MASTER_KEY: randomBytes(32).toString('hex') } : {}),
  };
  const config = loadConfig(env);
  const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
  try {
    for (const name of ['a', 'b']) await postern.services.integrations.create({ name, baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
  } finally {
    await postern.close();
  }
  return { config, env };
}

/** Runs the rotation in a child process that SIGKILLs itself at `dieAt` (or finishes, when it is null). */
function rotateInChild(env: Record<string, string>, dieAt: RotationStep | null, newKey?: string): Promise<NodeJS.Signals | number | null> {
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/rotate-and-die.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ...env, ROTATE_DIE_AT: dieAt ?? '', ROTATE_NEW_KEY: newKey ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => (code !== null && code !== 0 ? fail(new Error(`rotation failed (${code}): ${err}`)) : done(signal ?? code)));
  });
}

/** Starts postern with `config` and proves every stored secret opens and an integration syncs with it. */
async function everySecretReadable(config: Config): Promise<string> {
  const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
  try {
    const sealed = await listSealed(postern.store.db);
    expect(sealed).toHaveLength(2);
    for (const s of sealed) {
      expect(keyIdOfSealed(s.sealed)).toBe(postern.secrets.keyId);
      expect(postern.secrets.open(s.sealed, s.context)).toBe(sim.token);
    }
    const [first] = await postern.services.integrations.list();
    expect((await postern.services.integrations.syncNow(first!.id, { wait: true })).status.state).toBe('ok');
    return postern.secrets.keyId;
  } finally {
    await postern.close();
  }
}

const FILE_STEPS: RotationStep[] = ['key-written', 'before-commit', 'after-commit', 'before-rename', 'after-rename'];
const ENV_STEPS: RotationStep[] = ['key-written', 'before-commit', 'after-commit'];
/** Whether the database already needs the new key when the rotation dies at that step. */
const COMMITTED: Record<RotationStep, boolean> = { 'key-written': false, 'before-commit': false, 'after-commit': true, 'before-rename': true, 'after-rename': true };

const KILL_POINTS = [...FILE_STEPS.map((step) => ({ mode: 'file' as Mode, step })), ...ENV_STEPS.map((step) => ({ mode: 'env' as Mode, step }))];

describe.each(engines())('a master-key rotation killed at any step loses no secret ($engine)', ({ newDatabaseUrl }) => {
  it.each(KILL_POINTS)('killed at $step with the key in a $mode: postern starts after with every secret readable, and rotating again works', async ({ mode, step }) => {
    const { config, env } = await deployment(await newDatabaseUrl(), mode);
    const keyFile = masterKeyFileFor(config);
    const oldKeyId = keyIdOf(mode === 'env' ? parseMasterKey(env.POSTERN_MASTER_KEY!) : parseMasterKey(readFileSync(keyFile, 'utf8')));
    const newKey = randomBytes(32).toString('hex');

    expect(await rotateInChild(env, step, newKey)).toBe('SIGKILL');

    // The start after the crash finishes the rotation (committed) or rolls it back (not committed), by itself.
    const keyId = await everySecretReadable(config);
    expect(keyId).toBe(COMMITTED[step] ? keyIdOf(Buffer.from(newKey, 'hex')) : oldKeyId);
    if (mode === 'file') {
      expect(keyIdOf(parseMasterKey(readFileSync(keyFile, 'utf8')))).toBe(keyId);
      expect(existsSync(`${keyFile}.new`)).toBe(false);
    } else {
      // With POSTERN_MASTER_KEY the new key waits in master.key.new until the variable holds it.
      expect(existsSync(`${keyFile}.new`)).toBe(COMMITTED[step]);
    }

    // The natural reaction, rotating again, never destroys a key that a secret needs.
    const envNow = mode === 'env' && COMMITTED[step] ? { ...env, POSTERN_MASTER_KEY: newKey } : env;
    await rotateMasterKey(loadConfig(envNow));
    const after = mode === 'env' ? { ...config, masterKey: readFileSync(`${keyFile}.new`, 'utf8').trim() } : config;
    expect(await everySecretReadable(after)).not.toBe(keyId);
  });
});

requirePostgresInCi();
