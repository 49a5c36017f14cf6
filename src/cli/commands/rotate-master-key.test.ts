import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { createSecretBox, parseMasterKey } from '../../lib/secrets.ts';
import { createPostern } from '../../main.ts';
import { startS1Simulator, type S1Simulator } from '../../s1/index.ts';
import { silentLogger } from '../../lib/logger.ts';
import { startTailscaleSimulator } from '../../tailnet/index.ts';
import { rotateMasterKey } from './rotate-master-key.ts';

let sim: S1Simulator | undefined;
afterEach(async () => sim?.close());

async function setUp(env: Record<string, string>) {
  sim = await startS1Simulator({ agentCount: 10, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'postern-rotate-'));
  const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: 'pst_rotate_test_admin_token_000', ...env });
  const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
  for (const name of ['a', 'b', 'c']) {
    await postern.services.integrations.create({ name, baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' }, { wait: true });
  }
  await postern.close();
  return { config, dir };
}

async function sealedTokens(config: ReturnType<typeof loadConfig>) {
  const { openStore } = await import('../../store/index.ts');
  const store = await openStore(config.databaseUrl);
  try {
    return (await store.db.selectFrom('integrations').select('api_token_sealed').execute()).map((r) => r.api_token_sealed);
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
    for (const sealed of await sealedTokens(config)) {
      expect(createSecretBox(newKey).open(sealed)).toBe(sim!.token);
      expect(() => createSecretBox(oldKey).open(sealed)).toThrow(/different master key/);
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

  it('with POSTERN_MASTER_KEY: re-seals under the given key, and the old key then fails at start with MASTER_KEY_INVALID', async () => {
    const oldHex = randomBytes(32).toString('hex');
    const newHex = randomBytes(32).toString('hex');
    const { config } = await setUp({ POSTERN_MASTER_KEY: oldHex });
    const result = await rotateMasterKey(config, newHex);
    expect(result).toMatchObject({ secrets: 3, keyFile: null, generatedKey: null });
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
    const postern = await createPostern({ config: { ...config, masterKey: newHex }, logger: silentLogger(), schedule: false });
    await postern.close();
  });

  it('re-seals tailnet credentials too: the tailnet still syncs, and the old key no longer starts postern', async () => {
    const ts = await startTailscaleSimulator({ nodeCount: 3 });
    try {
      const oldHex = randomBytes(32).toString('hex');
      const newHex = randomBytes(32).toString('hex');
      const dir = mkdtempSync(join(tmpdir(), 'postern-rotate-'));
      const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: 'pst_rotate_test_admin_token_000', POSTERN_MASTER_KEY: oldHex });
      let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
      const tn = await postern.services.tailnets.create({ name: 't', tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey }, { actor: 'test' }, { wait: true });
      await postern.close();
      expect(await rotateMasterKey(config, newHex)).toMatchObject({ secrets: 1 });
      await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
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
