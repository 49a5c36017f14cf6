/**
 * Concurrent enrollments, over real HTTP against PostgreSQL (and SQLite): twenty agents claiming one serial at once
 * leave exactly one device (the serials' UNIQUE index decides, not a check before the write); twenty agents on one
 * reusable key all succeed; twenty on a single-use key register exactly one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

const AGENTS = 20;

describe.each(engines())('concurrent enrollment on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let server: string;
  afterEach(async () => h?.close());

  async function setUp() {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    server = await h.postern.listen();
  }

  const enroll = (key: string, serial: string, i: number) =>
    fetch(`${server}/v1/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `agent-${i}`, os: 'linux', serialNumbers: [serial] }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  const newKey = async (body: Record<string, unknown>) => (await h.request('POST', '/v1/enrollment-keys', { body })).json.key as string;
  const deviceCount = async () => (await h.request('GET', '/v1/devices?limit=1000')).json.data.length as number;

  it(`${AGENTS} enrollments of one serial at once all answer alike; exactly one holds it approved, the rest wait`, async () => {
    await setUp();
    const key = await newKey({ reusable: true, autoApproveSerials: true });
    const results = await Promise.all(Array.from({ length: AGENTS }, (_, i) => enroll(key, i % 2 ? 'c02 race 0001' : 'C02RACE0001', i)));
    expect(results.map((r) => r.status)).toEqual(Array(AGENTS).fill(201));
    expect(await deviceCount()).toBe(AGENTS);
    const rows = await h.postern.store.db.selectFrom('device_serials').selectAll().where('serial', '=', 'C02RACE0001').execute();
    expect(rows).toHaveLength(AGENTS);
    expect(rows.filter((r) => r.status === 'approved')).toHaveLength(1);
  });

  it(`${AGENTS} agents on one reusable key at once all succeed, and the key counts every use`, async () => {
    await setUp();
    const key = await newKey({ reusable: true });
    const results = await Promise.all(Array.from({ length: AGENTS }, (_, i) => enroll(key, `FLEET${String(i).padStart(5, '0')}`, i)));
    expect(results.map((r) => r.status)).toEqual(Array(AGENTS).fill(201));
    expect(await deviceCount()).toBe(AGENTS);
    expect((await h.request('GET', '/v1/enrollment-keys')).json.data[0].uses).toBe(AGENTS);
  });

  it(`${AGENTS} agents on one single-use key at once register exactly one device`, async () => {
    await setUp();
    const key = await newKey({ reusable: false });
    const results = await Promise.all(Array.from({ length: AGENTS }, (_, i) => enroll(key, `ONCE${String(i).padStart(5, '0')}`, i)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(AGENTS - 1);
    expect(await deviceCount()).toBe(1);
  });
});
