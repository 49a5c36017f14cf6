import { createServer, type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { startSmtp } from '../../test/support/smtp.ts';
import { loadConfig } from '../config/index.ts';
import { silentLogger } from '../lib/logger.ts';
import { createPostern } from '../main.ts';
import { startS1Simulator, type S1Simulator } from '../vendors/sentinelone/index.ts';
import { startTailscaleSimulator } from '../tailnet/index.ts';
import { listSealed } from '../store/index.ts';

let sim: S1Simulator;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
/** Someone else's listener: records every request, so a test can prove no token ever reached it. */
let rogue: { url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> };

beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 3, seed: 5 });
  smtp = await startSmtp();
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[],"pagination":{"nextCursor":null,"totalItems":0}}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  rogue = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((done) => server.close(() => done())) };
});
afterAll(async () => {
  await sim.close();
  await smtp.close();
  await rogue.close();
});

describe.each(engines())('a sealed secret is bound to its row and host ($engine)', ({ newDatabaseUrl }) => {
  it('an integration pointed at another host in the database stops (admins told) and never sends its token there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-binding-'));
    const config = loadConfig({
      POSTERN_DATABASE_URL: await newDatabaseUrl(),
      POSTERN_ADMIN_TOKEN: 'pst_binding_test_admin_token_0123456789',
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
      POSTERN_SMTP_URL: smtp.url,
      POSTERN_ADMIN_EMAILS: 'secops@example.com',
    });
    let postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    const created = await postern.services.integrations.create({ name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' }, { wait: true });
    expect(created.status.state).toBe('ok');
    await postern.close();

    // Someone with write access to the database, but not the master key, moves the row to their own listener.
    postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      await postern.store.db.updateTable('integrations').set({ base_url: rogue.url }).where('id', '=', created.id).execute();
      const after = await postern.services.integrations.syncNow(created.id, { wait: true });
      expect(after.status).toMatchObject({ state: 'stopped', lastError: { code: 'SECRET_BINDING_INVALID' } });
      expect(after.status.lastError!.message).toContain('does not belong where it is stored');
      expect(rogue.seen).toEqual([]);
      await expect.poll(() => smtp.mails.map((m) => m.subject), { timeout: 10_000 }).toContain('postern: SentinelOne integration "S1 prod" has stopped syncing');
      expect(smtp.mails.at(-1)!.body.replace(/\s+/g, ' ')).toContain('was not sent anywhere');
    } finally {
      await postern.close();
    }
  });

  it('a tailnet pointed at another host in the database stops and never sends its API key there', async () => {
    const ts = await startTailscaleSimulator({ nodeCount: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'postern-binding-'));
    const config = loadConfig({
      POSTERN_DATABASE_URL: await newDatabaseUrl(),
      POSTERN_ADMIN_TOKEN: 'pst_binding_test_admin_token_0123456789',
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
    });
    const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      const tn = await postern.services.tailnets.create({ name: 't', tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey }, { actor: 'test' }, { wait: true });
      expect(tn.status.state).toBe('ok');
      const before = rogue.seen.length;
      await postern.store.db.updateTable('tailnets').set({ base_url: rogue.url }).where('id', '=', tn.id).execute();
      const after = await postern.services.tailnets.syncNow(tn.id, { wait: true });
      expect(after.status).toMatchObject({ state: 'stopped', lastError: { code: 'SECRET_BINDING_INVALID' } });
      expect(rogue.seen.length).toBe(before);
    } finally {
      await postern.close();
      await ts.close();
    }
  });

  it('a sealed token copied into another row does not open there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-binding-'));
    const config = loadConfig({
      POSTERN_DATABASE_URL: await newDatabaseUrl(),
      POSTERN_ADMIN_TOKEN: 'pst_binding_test_admin_token_0123456789',
      POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
    });
    const postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    try {
      const a = await postern.services.integrations.create({ name: 'a', baseUrl: sim.url, apiToken: sim.token }, { actor: 'test' });
      const b = await postern.services.integrations.create({ name: 'b', baseUrl: sim.url, apiToken: 'another-token-for-b' }, { actor: 'test' });
      const sealedA = (await listSealed(postern.store.db)).find((s) => s.rowId === a.id)!;
      await postern.store.db.updateTable('integrations').set({ api_token_sealed: sealedA.sealed }).where('id', '=', b.id).execute();
      const sealedB = (await listSealed(postern.store.db)).find((s) => s.rowId === b.id)!;
      expect(() => postern.secrets.open(sealedB.sealed, sealedB.context)).toThrow(expect.objectContaining({ code: 'SECRET_BINDING_INVALID' }));
    } finally {
      await postern.close();
    }
  });
});

requirePostgresInCi();
