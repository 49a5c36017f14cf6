/**
 * The sync bench's floor server: S1 agent pages precomputed, served with no work per request. At start it walks
 * every page of a source (`postern s1-simulator` or the lean stand-in) once, the way postern's client asks for them
 * (`limit=1000&sortBy=id&sortOrder=asc`, then the cursor), gives each page a short cursor of its own (`p<N>`) and
 * writes it to one file; then it serves `/web/api/v2.1/agents?cursor=p<N>` by streaming those bytes from the file
 * (the kernel's page cache), whatever else the query says. A query with `limit` below 1,000 (a connection test)
 * gets the first page's first agent. Every other path answers S1's 404. The pages' bytes are the source's, only
 * the cursor differs, so the floor (download and `JSON.parse`) and the sync read exactly the same agents.
 *
 *   node --import tsx bench/lib/s1-pages.ts --from URL --token TOKEN
 *     (prints "pages ready: N pages, B bytes" then "listening on http://127.0.0.1:PORT")
 */
import { createReadStream, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is needed`);
  return process.argv[i + 1]!;
};
const from = arg('from').replace(/\/$/, '');
const token = arg('token');
const PATH = '/web/api/v2.1/agents';

const dir = mkdtempSync(join(tmpdir(), 'postern-s1-pages-'));
const file = join(dir, 'pages.json');
const fd = openSync(file, 'w');
const pages: { start: number; length: number }[] = [];
let offset = 0;
let small = Buffer.alloc(0);
let cursor: string | null = null;
for (;;) {
  const query = new URLSearchParams({ limit: '1000', sortBy: 'id', sortOrder: 'asc', ...(cursor ? { cursor } : {}) });
  const res = await request(`${from}${PATH}?${query}`, { headers: { authorization: `ApiToken ${token}` } });
  if (res.statusCode !== 200) throw new Error(`the source answered ${res.statusCode} for page ${pages.length}: ${await res.body.text()}`);
  const page = (await res.body.json()) as { data: unknown[]; pagination: { nextCursor: string | null; totalItems: number } };
  cursor = page.pagination.nextCursor;
  const bytes = Buffer.from(JSON.stringify({ data: page.data, pagination: { nextCursor: cursor ? `p${pages.length + 1}` : null, totalItems: page.pagination.totalItems } }));
  if (pages.length === 0) small = Buffer.from(JSON.stringify({ data: page.data.slice(0, 1), pagination: { nextCursor: null, totalItems: page.pagination.totalItems } }));
  writeSync(fd, bytes);
  pages.push({ start: offset, length: bytes.length });
  offset += bytes.length;
  if (!cursor) break;
}
closeSync(fd);
process.stdout.write(`pages ready: ${pages.length} pages, ${offset} bytes\n`);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://pages');
  if (url.pathname !== PATH) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ errors: [{ code: 4040010, title: 'Not Found', detail: 'not served by the page server' }] }));
  }
  if (Number(url.searchParams.get('limit') ?? '1000') < 1000) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length });
    return res.end(small);
  }
  const c = url.searchParams.get('cursor');
  const page = pages[c ? Number(c.slice(1)) : 0];
  if (!page) {
    res.writeHead(400, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ errors: [{ code: 4000010, title: 'Validation Error', detail: 'cursor: not a cursor this server gave' }] }));
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': page.length });
  createReadStream(file, { start: page.start, end: page.start + page.length - 1, highWaterMark: 1 << 20 }).pipe(res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`S1 pages listening on http://127.0.0.1:${port}\n`);
});
const stop = () => {
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
