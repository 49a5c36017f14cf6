import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { createSecretBox, parseMasterKey } from '../../lib/secrets.ts';
import { createPostern } from '../../main.ts';
import { startS1Simulator, type S1Simulator } from '../../vendors/sentinelone/index.ts';
import { silentLogger } from '../../lib/logger.ts';
import { startTailscaleSimulator } from '../../tailnet/index.ts';
import { rotateMasterKey } from './rotate-master-key.ts';

let sim: S1Simulator | undefined;
afterEach(async () => sim?.close());

async function setUp(env: Record<string, string>) {
  sim = await startS1Simulator({ agentCount: 10, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'postern-rotate-'));
  const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: 'pst_rotate_test_admin_token_0000000000', ...env });
  const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
  for (const name of ['a', 'b', 'c']) {
    await postern.services.integrations.create({ name, baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' }, { wait: true });
  }
  await postern.close();
  return { config, dir };
}

async function sealedTokens(config: ReturnType<typeof loadConfig>) {
  const { listSealed, openStore } = await import('../../store/index.ts');
  const store = await openStore(config.databaseUrl);
  try {
    return await listSealed(store.db);
  } finally {
    await store.close();
  }
}

describe('rotating the master key re-seals every secret', () => {
  it('with a key file: every secret opens with the new key and none with the old; postern starts and syncs', async () => {
    const { config } = await setUp({});
    const keyFile = join(config.databaseUrl.slice('sqlite:'.length), '..', 'master.key');
    const oldKey = parseMasterKey(readFileSync(keyFile, 'utf8'));
    const result = await rotateMasterKey(config);
    expect(result.secrets).toBe(3);
    const newKey = parseMasterKey(readFileSync(keyFile, 'utf8'));
    expect(newKey.equals(oldKey)).toBe(false);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    for (const { sealed, context } of await sealedTokens(config)) {
      expect(createSecretBox(newKey).open(sealed, context)).toBe(sim!.token);
      expect(() => createSecretBox(oldKey).open(sealed, context)).toThrow(/not with the key postern was given/);
    }
    const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      const [first] = await postern.services.integrations.list();
      const synced = await postern.services.integrations.syncNow(first!.id, { wait: true });
      expect(synced.status.state).toBe('ok');
    } finally {
      await postern.close();
    }
  });

  it('with POSTERN_MASTER_KEY: re-seals under the given key; the old key starts only through master.key.new, and without it fails with MASTER_KEY_INVALID', async () => {
    const oldHex = randomBytes(32).toString('hex');
    const newHex = randomBytes(32).toString('hex');
    const { config } = await setUp({ POSTERN_MASTER_KEY: oldHex });
    const result = await rotateMasterKey(config, newHex);
    expect(result).toMatchObject({ secrets: 3, mode: 'env' });
    // The new key is on disk (0600) before the database needs it, so a crash cannot lose it.
    expect(statSync(result.keyFile).mode & 0o777).toBe(0o600);
    expect(parseMasterKey(readFileSync(result.keyFile, 'utf8')).toString('hex')).toBe(newHex);
    // Until POSTERN_MASTER_KEY holds the new key, a start uses the file the rotation left.
    let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    expect(postern.secrets.keyId).toBe(result.newKeyId);
    await postern.close();
    // Once it does, the file is redundant and removed.
    postern = await createPostern({ config: { ...config, masterKey: newHex }, logger: silentLogger(), schedule: false });
    await postern.close();
    expect(existsSync(result.keyFile)).toBe(false);
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
  });

  it('re-seals tailnet credentials too: the tailnet still syncs with the new key', async () => {
    const ts = await startTailscaleSimulator({ nodeCount: 3 });
    try {
      const oldHex = randomBytes(32).toString('hex');
      const newHex = randomBytes(32).toString('hex');
      const dir = mkdtempSync(join(tmpdir(), 'postern-rotate-'));
      const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: 'pst_rotate_test_admin_token_0000000000', POSTERN_MASTER_KEY: oldHex });
      let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
      const tn = await postern.services.tailnets.create({ name: 't', tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey }, { actor: 'test' }, { wait: true });
      await postern.close();
      expect(await rotateMasterKey(config, newHex)).toMatchObject({ secrets: 1 });
      postern = await createPostern({ config: { ...config, masterKey: newHex }, logger: silentLogger(), schedule: false });
      try {
        expect((await postern.services.tailnets.syncNow(tn.id, { wait: true })).status).toMatchObject({ state: 'ok', counts: { nodes: 3 } });
      } finally {
        await postern.close();
      }
    } finally {
      await ts.close();
    }
  });

  it('refuses to rotate to the same key', async () => {
    const hex = randomBytes(32).toString('hex');
    const { config } = await setUp({ POSTERN_MASTER_KEY: hex });
    await expect(rotateMasterKey(config, hex)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('a rotation never runs beside a postern process', () => {
  it('refuses while postern serves the database, naming the process, and runs once it stopped', async () => {
    const hex = randomBytes(32).toString('hex');
    const { config } = await setUp({ POSTERN_MASTER_KEY: hex });
    const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      await expect(rotateMasterKey(config)).rejects.toThrow(new RegExp(`refuses while postern serve \\(pid ${process.pid} on `));
    } finally {
      await postern.close();
    }
    expect((await rotateMasterKey(config)).secrets).toBe(3);
  });

  it('a server does not start while a rotation holds the database', async () => {
    const { config } = await setUp({});
    const { openStore } = await import('../../store/index.ts');
    const { acquireLease } = await import('../../secrets/index.ts');
    const { systemClock } = await import('../../lib/clock.ts');
    const store = await openStore(config.databaseUrl);
    const lease = await acquireLease(store, 'rotate', systemClock);
    try {
      await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toThrow(/master key is being rotated/);
    } finally {
      await lease.release();
      await store.close();
    }
  });
});
