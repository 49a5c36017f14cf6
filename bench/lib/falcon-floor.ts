/**
 * The Falcon floor walk: the replies postern's client asks for, fetched with the same calls (scroll pages of 5,000
 * ids, then at once the details of those ids and their ZTA in batches of 500, four at a time) and `JSON.parse`d,
 * nothing else. `each`, when given, sees every host's details (not part of a timed walk's work that matters: the
 * benches call it only on an untimed walk). Shared by bench/falcon-scale.ts and bench/sync-scale.ts.
 */
export const PAGE = 5000;
export const ZTA_BATCH = 500;
export const ZTA_CONCURRENCY = 4;

export interface FalconTarget {
  url: string;
  clientId: string;
  clientSecret: string;
}

export interface FloorResult {
  ms: number;
  hosts: number;
  scored: number;
}

export async function falconFloorWalk(t: FalconTarget, each?: (host: { serial_number?: string }) => void): Promise<FloorResult> {
  const start = performance.now();
  const tokenRes = await fetch(`${t.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: t.clientId, client_secret: t.clientSecret }),
  });
  const auth = { authorization: `bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
  let hosts = 0;
  let scored = 0;
  let offset = '';
  do {
    const page = (await (await fetch(`${t.url}/devices/queries/devices-scroll/v1?limit=${PAGE}${offset ? `&offset=${offset}` : ''}`, { headers: auth })).json()) as {
      resources: string[];
      meta: { pagination: { offset: string } };
    };
    offset = page.meta.pagination.offset;
    if (page.resources.length === 0) break;
    const ids = page.resources;
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += ZTA_BATCH) batches.push(ids.slice(i, i + ZTA_BATCH));
    let next = 0;
    const [details] = await Promise.all([
      fetch(`${t.url}/devices/entities/devices/v2`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ids }) }).then(
        async (r) => (await r.json()) as { resources: { serial_number?: string }[] },
      ),
      ...Array.from({ length: ZTA_CONCURRENCY }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const qs = new URLSearchParams(batch.map((id): [string, string] => ['ids', id])).toString();
          const zta = (await (await fetch(`${t.url}/zero-trust-assessment/entities/assessments/v1?${qs}`, { headers: auth })).json()) as { resources: unknown[] };
          scored += zta.resources.length;
        }
      }),
    ]);
    hosts += details.resources.length;
    if (each) for (const h of details.resources) each(h);
  } while (offset);
  return { ms: performance.now() - start, hosts, scored };
}
