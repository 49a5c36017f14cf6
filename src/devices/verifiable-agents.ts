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

/**
 * SQLite picks every field in one `json_extract`, which parses the stored record once and answers the values as
 * one JSON array (with a single path it would answer the bare value, so a lone path is asked twice); a `->` per
 * field parsed the whole record per field.
 */
async function readSqlite(db: Executor, ids: readonly string[], fields: readonly string[]): Promise<Row[]> {
  const base = db.selectFrom('device_sources').select(['device_id', 'integration_id']).where('device_id', 'in', ids);
  if (fields.length === 0) return (await base.execute()) as Row[];
  const paths = fields.map((f) => sql.lit(`$.${f}`));
  const rows = await base.select(sql<string>`json_extract(agent_json, ${sql.join(paths.length === 1 ? [paths[0]!, paths[0]!] : paths)})`.as('picked')).execute();
  return rows.map(({ picked, ...r }) => {
    const values = JSON.parse(picked) as unknown[];
    const row: Row = r;
    fields.forEach((_, i) => (row[`f${i}`] = values[i] ?? null));
    return row;
  });
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
