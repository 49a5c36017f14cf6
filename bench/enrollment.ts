/**
 * Enrollment under load, over real HTTP: N agents enroll at once on one reusable key (all must succeed; one serial
 * claimed by N at once must leave exactly one device), then one agent reports unchanged facts R times (none may
 * write: no audit event, no updatedAt change). Exits 1 when any of that fails.
 *
 *   node --import tsx bench/enrollment.ts [--agents N] [--reports N] [--database-url postgres://…|sqlite:/tmp/x.db]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createPostern } from '../src/main.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const AGENTS = Number(arg('agents', '200'));
const REPORTS = Number(arg('reports', '1000'));
const ADMIN = 'pst_bench_admin_token_0123456789abcdef';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-'));
  const databaseUrl = arg('database-url', `sqlite:${join(dir, 'postern.db')}`);
  const config = loadConfig({
    POSTERN_DATABASE_URL: databaseUrl,
    POSTERN_ADMIN_TOKEN: ADMIN,
    POSTERN_MASTER_KEY: randomBytes(32).toString('hex'),
    POSTERN_PORT: '0',
  });
  const postern = await createPostern({ config, logger: createLogger({ level: 'silent' }), schedule: false });
  const server = await postern.listen();
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${server}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  let failed = false;
  try {
    const key = (await call('POST', '/v1/enrollment-keys', ADMIN, { reusable: true })).json.key as string;
    const facts = (i: number, serial = `BENCH${String(i).padStart(6, '0')}`) => ({ name: `m${i}`, os: 'linux', serialNumbers: [serial], addresses: [] });

    let t = performance.now();
    const many = await Promise.all(Array.from({ length: AGENTS }, (_, i) => call('POST', '/v1/enroll', key, facts(i))));
    const manyMs = performance.now() - t;
    const ok = many.filter((r) => r.status === 201).length;
    console.log(`${AGENTS} agents on one reusable key at once: ${ok} enrolled in ${Math.round(manyMs)} ms (${Math.round((AGENTS / manyMs) * 1000)}/s)`);
    if (ok !== AGENTS) failed = true;

    t = performance.now();
    const race = await Promise.all(Array.from({ length: AGENTS }, (_, i) => call('POST', '/v1/enroll', key, facts(AGENTS + i, 'RACE000001'))));
    const raceMs = performance.now() - t;
    const won = race.filter((r) => r.status === 201).length;
    const refused = race.filter((r) => r.status === 409).length;
    console.log(`${AGENTS} agents claiming one serial at once: ${won} enrolled, ${refused} refused with 409, in ${Math.round(raceMs)} ms`);
    if (won !== 1 || refused !== AGENTS - 1) failed = true;

    const token = many[0]!.json.deviceToken as string;
    const id = many[0]!.json.device.id as string;
    const before = (await call('GET', `/v1/devices/${id}`, ADMIN)).json.updatedAt;
    const auditBefore = (await postern.store.db.selectFrom('audit_events').select('id').execute()).length;
    t = performance.now();
    for (let i = 0; i < REPORTS; i++) {
      const res = await call('PUT', '/v1/enroll/self', token, facts(0));
      if (res.status !== 200) failed = true;
    }
    const reportMs = performance.now() - t;
    const auditAfter = (await postern.store.db.selectFrom('audit_events').select('id').execute()).length;
    const after = (await call('GET', `/v1/devices/${id}`, ADMIN)).json.updatedAt;
    console.log(
      `${REPORTS} unchanged reports, one after another: ${Math.round((REPORTS / reportMs) * 1000)}/s, ${(reportMs / REPORTS).toFixed(2)} ms each; ` +
        `audit events written: ${auditAfter - auditBefore}; updatedAt ${before === after ? 'unchanged' : 'CHANGED'}`,
    );
    if (auditAfter !== auditBefore || before !== after) failed = true;
  } finally {
    await postern.close();
  }
  if (failed) {
    console.error('FAILED');
    process.exit(1);
  }
}

await main();
