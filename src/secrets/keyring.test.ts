import { createCipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { silentLogger } from '../lib/logger.ts';
import { createSecretBox, keyIdOf } from '../lib/secrets.ts';
import { createPostern } from '../main.ts';
import { startS1Simulator, type S1Simulator } from '../vendors/sentinelone/index.ts';
import { bindTo, listSealed, openStore } from '../store/index.ts';
import { startTailscaleSimulator } from '../tailnet/index.ts';

const ADMIN = 'pst_keyring_test_admin_token_0123456789';

let sim: S1Simulator;
beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 3, seed: 3 });
});
afterAll(async () => sim.close());

function configFor(databaseUrl: string, env: Record<string, string> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'postern-keyring-'));
  return loadConfig({ POSTERN_DATABASE_URL: databaseUrl, POSTERN_ADMIN_TOKEN: ADMIN, POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'), ...env });
}

const hexKey = () => randomBytes(32).toString('hex');

/** Everything another process could see change: the recorded key, integrations and their status, API keys. */
async function sharedState(databaseUrl: string) {
  const store = await openStore(databaseUrl);
  try {
    return {
      key: await store.db.selectFrom('master_key_state').selectAll().execute(),
      integrations: await store.db.selectFrom('integrations').selectAll().orderBy('id').execute(),
      status: await store.db.selectFrom('integration_status').selectAll().orderBy('integration_id').execute(),
      apiKeys: await store.db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    };
  } finally {
    await store.close();
  }
}

/** The sealing of secrets before 0015: AES-256-GCM without associated data. */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', keyIdOf(key), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
}

describe.each(engines())('one master key per deployment ($engine)', ({ newDatabaseUrl }) => {
  it('a second process with another key refuses to start before any secret exists, and changes no shared state', async () => {
    const databaseUrl = await newDatabaseUrl();
    const first = await createPostern({ config: configFor(databaseUrl, { POSTERN_MASTER_KEY: hexKey() }), logger: silentLogger(), schedule: false });
    const firstKeyId = first.secrets.keyId;
    await first.close();
    const before = await sharedState(databaseUrl);
    expect(before.key).toMatchObject([{ key_id: firstKeyId }]);
    const other = hexKey();
    await expect(createPostern({ config: configFor(databaseUrl, { POSTERN_MASTER_KEY: other }), logger: silentLogger(), schedule: false })).rejects.toMatchObject({
      code: 'MASTER_KEY_INVALID',
      message: expect.stringContaining(`This deployment's master key is ${firstKeyId}, but POSTERN_MASTER_KEY holds key ${keyIdOf(Buffer.from(other, 'hex'))}`),
    });
    expect(await sharedState(databaseUrl)).toEqual(before);
  });

  it('while one process serves with the deployment key, another with its own key file refuses and the shared integration keeps syncing', async () => {
    const databaseUrl = await newDatabaseUrl();
    const a = await createPostern({ config: configFor(databaseUrl), logger: silentLogger(), schedule: false });
    try {
      const created = await a.services.integrations.create({ name: 's1', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' }, { wait: true });
      // Host B got its own ./data/master.key, as every host did by default.
      await expect(createPostern({ config: configFor(databaseUrl), logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
      expect((await a.services.integrations.syncNow(created.id, { wait: true })).status.state).toBe('ok');
    } finally {
      await a.close();
    }
  });

  it('never creates a key file for a database that holds secrets: a missing file refuses, naming it', async () => {
    const databaseUrl = await newDatabaseUrl();
    const config = configFor(databaseUrl);
    const a = await createPostern({ config, logger: silentLogger(), schedule: false });
    await a.services.integrations.create({ name: 's1', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
    await a.close();
    const elsewhere = configFor(databaseUrl);
    await expect(createPostern({ config: elsewhere, logger: silentLogger(), schedule: false })).rejects.toThrow(
      new RegExp(`${elsewhere.masterKeyFile!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist. postern never makes a new key`),
    );
    expect(existsSync(elsewhere.masterKeyFile!)).toBe(false);
  });

  it('checks every sealed secret at start: one sealed under another key (a write during a rotation) refuses the start', async () => {
    const databaseUrl = await newDatabaseUrl();
    const key = hexKey();
    const config = configFor(databaseUrl, { POSTERN_MASTER_KEY: key });
    const a = await createPostern({ config, logger: silentLogger(), schedule: false });
    for (const name of ['a', 'b', 'c']) await a.services.integrations.create({ name, baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
    const [, , last] = await listSealed(a.store.db);
    await a.store.db.updateTable('integrations').set({ api_token_sealed: createSecretBox(randomBytes(32)).seal(sim.token, last!.context) }).where('id', '=', last!.rowId).execute();
    await a.close();
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID', message: expect.stringContaining('several master keys') });
  });

  it('re-seals secrets stored before they were bound (migration 0015), and they keep working', async () => {
    const databaseUrl = await newDatabaseUrl();
    const key = hexKey();
    const config = configFor(databaseUrl, { POSTERN_MASTER_KEY: key });
    let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    const created = await postern.services.integrations.create({ name: 'old', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
    // As a database from before 0015 has it: a v1 secret and no recorded key.
    await postern.store.db.updateTable('integrations').set({ api_token_sealed: sealV1(Buffer.from(key, 'hex'), sim.token) }).where('id', '=', created.id).execute();
    await postern.store.db.deleteFrom('master_key_state').execute();
    await postern.close();

    postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      const [row] = await listSealed(postern.store.db);
      expect(row!.sealed.startsWith('v2:')).toBe(true);
      expect(postern.secrets.open(row!.sealed, bindTo.integrationToken(created.id, created.baseUrl))).toBe(sim.token);
      expect((await postern.services.integrations.syncNow(created.id, { wait: true })).status.state).toBe('ok');
    } finally {
      await postern.close();
    }
  });

  it('an integration stopped for MASTER_KEY_INVALID resumes by itself once a process opens its token', async () => {
    const databaseUrl = await newDatabaseUrl();
    const config = configFor(databaseUrl, { POSTERN_MASTER_KEY: hexKey() });
    let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    const created = await postern.services.integrations.create({ name: 's1', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
    // As a process with another key left it, before such processes were refused.
    await postern.store.db
      .updateTable('integration_status')
      .set({ state: 'stopped', next_sync_at: null, last_error_code: 'MASTER_KEY_INVALID', last_error_message: 'sealed with a different master key' })
      .where('integration_id', '=', created.id)
      .execute();
    await postern.close();

    postern = await createPostern({ config, logger: silentLogger() });
    try {
      await postern.listen();
      await expect.poll(async () => (await postern.services.integrations.get(created.id)).status.state, { timeout: 15_000 }).toBe('ok');
    } finally {
      await postern.close();
    }
  });
  it('a tailnet stopped for MASTER_KEY_INVALID resumes by itself once a process opens its API key', async () => {
    const ts = await startTailscaleSimulator({ nodeCount: 2 });
    const config = configFor(await newDatabaseUrl(), { POSTERN_MASTER_KEY: hexKey() });
    let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      const tn = await postern.services.tailnets.create({ name: 't', tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey }, { actor: 'test' }, { wait: true });
      expect(tn.status.state).toBe('ok');
      // As a process with another key left it, before such processes were refused.
      await postern.store.db
        .updateTable('tailnet_status')
        .set({ state: 'stopped', next_sync_at: null, last_error_code: 'MASTER_KEY_INVALID', last_error_message: 'sealed with a different master key' })
        .where('tailnet_id', '=', tn.id)
        .execute();
      expect((await postern.services.tailnets.get(tn.id)).status.state).toBe('stopped');
      await postern.close();

      postern = await createPostern({ config, logger: silentLogger() });
      await postern.listen();
      await expect.poll(async () => (await postern.services.tailnets.get(tn.id)).status, { timeout: 15_000 }).toMatchObject({ state: 'ok', lastError: null });
    } finally {
      await postern.close();
      await ts.close();
    }
  });
});

describe('the key file', () => {
  it('is refused when others may read it, with the chmod to run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-keyring-'));
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, hexKey() + '\n');
    chmodSync(keyFile, 0o644);
    const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: ADMIN, POSTERN_MASTER_KEY_FILE: keyFile });
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toThrow(`has mode 0644, so other users may read the master key; run \`chmod 600 ${keyFile}\``);
  });

  it('holding a key that is not exactly 32 bytes is refused, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-keyring-'));
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, hexKey().slice(0, 63) + '\n', { mode: 0o600 });
    const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: ADMIN, POSTERN_MASTER_KEY_FILE: keyFile });
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toThrow(`POSTERN_MASTER_KEY_FILE (${keyFile}) must be exactly 32 bytes`);
  });
});

requirePostgresInCi();
