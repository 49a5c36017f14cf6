/**
 * A lean S1 stand-in for fleets too big for the simulator's in-memory state: it serves `/web/api/v2.1/agents` pages
 * of S1-shaped records made on the fly from 1,000 simulator-generated templates (agent `i` takes template `i % 1000`
 * with its own id, uuid and serial `SCALE<i>`), so a million agents cost it no memory. Cursor = next index.
 *
 *   node --import tsx bench/lib/s1-standin.ts --agents N   (prints "listening on http://127.0.0.1:PORT")
 */
import { createServer } from 'node:http';
import { generateAgents } from '../../src/vendors/sentinelone/index.ts';

const i = process.argv.indexOf('--agents');
const AGENTS = Number(i > 0 ? process.argv[i + 1] : '100000');
const TEMPLATES = generateAgents({ count: 1000, seed: 'standin' });

export const standinSerial = (n: number) => `SCALE${String(n).padStart(8, '0')}`;

function agent(n: number): Record<string, unknown> {
  const t = TEMPLATES[n % TEMPLATES.length]!;
  return { ...t, id: String(1_000_000_000_000_000 + n), uuid: `u${n}`, serialNumber: standinSerial(n), computerName: `host-${n}`, isDecommissioned: false, infected: false };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://standin');
  if (url.pathname !== '/web/api/v2.1/agents') {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ errors: [{ code: 4040010, title: 'Not Found', detail: 'not served by the stand-in' }] }));
  }
  const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? '10'));
  const start = Number(url.searchParams.get('cursor') ? Buffer.from(url.searchParams.get('cursor')!, 'base64url').toString() : '0');
  const end = Math.min(AGENTS, start + limit);
  const data = [];
  for (let n = start; n < end; n++) data.push(agent(n));
  const nextCursor = end < AGENTS ? Buffer.from(String(end)).toString('base64url') : null;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data, pagination: { nextCursor, totalItems: AGENTS } }));
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`S1 stand-in listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
