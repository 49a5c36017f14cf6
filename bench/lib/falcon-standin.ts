/**
 * A Falcon stand-in that does no work per request: at start it walks a Falcon simulator of the same fleet once
 * (scroll pages of 5,000 ids, their details, their ZTA assessments in batches of 500, exactly the calls postern's
 * client makes), keeps every reply's bytes, drops the simulator, and then answers each request with the recorded
 * bytes found by a key (scroll offset, first id asked for). The floor of `bench/falcon-scale.ts` is a walk of it.
 *
 *   node --import tsx bench/lib/falcon-standin.ts --hosts N --seed S
 *     (prints {"url","clientId","clientSecret","bytes"} when ready)
 */
import { createServer } from 'node:http';
import { startFalconSimulator } from '../../src/vendors/falcon/simulator/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const HOSTS = Number(arg('hosts', '100000'));
const SEED = arg('seed', 'bench');
export const PAGE = 5000;
export const ZTA_BATCH = 500;

const replies = new Map<string, { status: number; body: Buffer }>();
let bytes = 0;
{
  const sim = await startFalconSimulator({ hostCount: HOSTS, seed: SEED });
  const tokenRes = await fetch(`${sim.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: sim.client.clientId, client_secret: sim.client.clientSecret }),
  });
  const auth = { authorization: `bearer ${((await tokenRes.json()) as { access_token: string }).access_token}` };
  const keep = async (key: string, res: Response) => {
    const body = Buffer.from(await res.arrayBuffer());
    bytes += body.length;
    replies.set(key, { status: res.status, body });
    return JSON.parse(body.toString('utf8')) as { resources: unknown[]; meta: { pagination?: { offset?: string } } };
  };
  let offset = '';
  do {
    const page = await keep(`scroll:${offset}`, await fetch(`${sim.url}/devices/queries/devices-scroll/v1?limit=${PAGE}${offset ? `&offset=${offset}` : ''}`, { headers: auth }));
    const ids = page.resources as string[];
    offset = page.meta.pagination?.offset ?? '';
    if (ids.length === 0) break;
    await keep(`details:${ids[0]}`, await fetch(`${sim.url}/devices/entities/devices/v2`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ids }) }));
    for (let i = 0; i < ids.length; i += ZTA_BATCH) {
      const batch = ids.slice(i, i + ZTA_BATCH);
      const qs = new URLSearchParams(batch.map((id): [string, string] => ['ids', id])).toString();
      await keep(`zta:${batch[0]}`, await fetch(`${sim.url}/zero-trust-assessment/entities/assessments/v1?${qs}`, { headers: auth }));
    }
  } while (offset);
  await sim.close();
}

const TOKEN = Buffer.from(JSON.stringify({ access_token: 'standin-token', token_type: 'bearer', expires_in: 1799 }));
const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
  const url = new URL(req.url ?? '/', 'http://standin');
  const reply = (key: string) => {
    const found = replies.get(key);
    if (!found) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(`{"errors":[{"code":404,"message":"not recorded: ${key.slice(0, 60)}"}]}`);
    }
    res.writeHead(found.status, { 'content-type': 'application/json', 'content-length': found.body.length });
    res.end(found.body);
  };
  if (url.pathname === '/devices/queries/devices-scroll/v1') return reply(`scroll:${url.searchParams.get('offset') ?? ''}`);
  if (url.pathname === '/zero-trust-assessment/entities/assessments/v1') return reply(`zta:${url.searchParams.get('ids') ?? ''}`);
  // The token and the details need their request body read, which any server must do.
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (url.pathname === '/oauth2/token') {
      res.writeHead(201, { 'content-type': 'application/json', 'x-cs-region': 'us-1', 'content-length': TOKEN.length });
      return res.end(TOKEN);
    }
    // The first id of `{"ids":["<32 hex>",…` without parsing the body.
    const head = Buffer.concat(chunks).subarray(0, 64).toString('latin1');
    reply(`details:${/"ids"\s*:\s*\["([0-9a-f]{32})"/.exec(head)?.[1] ?? ''}`);
  });
});
// Idle keep-alive sockets stay open: the floor walk after a long sync reuses them, and a server closing one as the
// client sends on it would fail the walk.
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, clientId: 'a'.repeat(32), clientSecret: 'b'.repeat(40), bytes })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
