/**
 * The matched agents' records as verification reads them, per device and integration: a posture view loading a
 * large fleet reads only the fields verification uses (the registered vendors' `factFields`), picked out by the
 * database, never the whole records (2.5 KB each).
 */
import { sql } from 'kysely';
import { chunks } from '../lib/chunks.ts';
import { fromJson, idsIn, type Executor } from '../store/index.ts';
import type { VerifiableAgent } from './verification.ts';

type Row = { device_id: string; integration_id: string } & Record<string, unknown>;

/**
 * `fields` null reads whole records. A field whose value is missing or JSON null is left out of the record, and
 * a record that is not a JSON object has none of the fields.
 */
export async function readVerifiableAgents(
  db: Executor,
  deviceIds: readonly string[],
  engine: 'sqlite' | 'postgres',
  fields: readonly string[] | null,
): Promise<Map<string, Map<string, VerifiableAgent>>> {
  const out = new Map<string, Map<string, VerifiableAgent>>();
  const put = (deviceId: string, integrationId: string, record: VerifiableAgent) => {
    let agents = out.get(deviceId);
    if (!agents) out.set(deviceId, (agents = new Map()));
    agents.set(integrationId, record);
  };
  for (const chunk of chunks(deviceIds, 500)) {
    if (fields === null) {
      const rows = await db.selectFrom('device_sources').select(['device_id', 'integration_id', 'agent_json']).where('device_id', 'in', chunk).execute();
      for (const r of rows) put(r.device_id, r.integration_id, fromJson<Record<string, unknown>>(r.agent_json, {}));
      continue;
    }
    // With no fields to read (no vendor connected) both engines read the same plain rows.
    const rows = engine === 'postgres' && fields.length > 0 ? await readPostgres(db, chunk, fields) : await readSqlite(db, chunk, fields);
    for (const r of rows) {
      const record: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        const v = r[`f${i}`] ?? null;
        if (v !== null) record[f] = v;
      });
      put(r.device_id, r.integration_id, record);
    }
  }
  return out;
}

/** SQLite picks each field as JSON text (`->`), parsed here. */
async function readSqlite(db: Executor, ids: readonly string[], fields: readonly string[]): Promise<Row[]> {
  const rows = (await db
    .selectFrom('device_sources')
    .select((eb) => [eb.ref('device_id').as('device_id'), eb.ref('integration_id').as('integration_id'), ...fields.map((f, i) => sql<string | null>`agent_json -> ${sql.lit(`$.${f}`)}`.as(`f${i}`))])
    .where('device_id', 'in', ids)
    .execute()) as unknown as Row[];
  for (const r of rows) fields.forEach((_, i) => (r[`f${i}`] = r[`f${i}`] === null ? null : JSON.parse(r[`f${i}`] as string)));
  return rows;
}

/**
 * PostgreSQL parses each stored record once (`json_to_record` takes the named top-level fields as `json`, which
 * the driver parses): a `->` per field parses the whole record per field, 3-4 times slower for a fleet.
 * The ids are looked up through the key even before the table has statistics (`idsIn`).
 */
async function readPostgres(db: Executor, ids: readonly string[], fields: readonly string[]): Promise<Row[]> {
  const columns = sql.join(fields.map((f) => sql`${sql.id(f)} json`));
  const picked = sql.join(fields.map((f, i) => sql`r.${sql.id(f)} as ${sql.id(`f${i}`)}`));
  const { rows } = await sql<Row>`
    select d.device_id, d.integration_id, ${picked}
    from device_sources d
    cross join lateral json_to_record(case when d.agent_json like '{%' then d.agent_json::json else '{}'::json end) as r(${columns})
    where ${idsIn(db, 'd.device_id', ids)}`.execute(db);
  return rows;
}
