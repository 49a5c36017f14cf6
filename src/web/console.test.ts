/**
 * What the console's server side guarantees: the page and its files are served with the right types and the
 * strict headers, nothing outside the fixed file table can be reached (however the path is spelled), the
 * sign-in checks the key and leaves an audit trail, and the browser code never parses data as HTML.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../test/support/harness.ts';
import { CONSOLE_HEADERS, loadStaticFiles, STATIC_DIR } from './static-files.ts';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";
const PACKAGE_JSON = readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8');

let h: Harness;
let baseUrl: string;

beforeAll(async () => {
  h = await startHarness({ authLimits: { maxFailures: 100_000 } });
  baseUrl = await h.postern.listen();
});
afterAll(async () => h?.close());

/** A request over a real socket with the path exactly as written (no client-side normalisation of `..`). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console page and its files', () => {
  it('GET / answers the page as HTML with no-store, the strict CSP and nosniff', async () => {
    const res = await h.request('GET', '/', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain('<script type="module" src="/console/app.js"></script>');
  });

  it('serves every file of the table under /console/ with its content type and the same headers', async () => {
    const files = loadStaticFiles();
    expect([...files.keys()]).toEqual(expect.arrayContaining(['index.html', 'app.js', 'api.js', 'dom.js', 'console.css', 'pages/devices.js']));
    const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const [name, file] of files) {
      const res = await h.request('GET', `/console/${name}`, { key: null });
      expect(res.status, name).toBe(200);
      expect(res.headers['content-type'], name).toBe(types[name.split('.').pop()!]);
      expect(res.text, name).toBe(file.body.toString('utf8'));
      for (const [header, value] of Object.entries(CONSOLE_HEADERS)) expect(res.headers[header], `${name} ${header}`).toBe(value);
    }
  });

  it('every file the page and the scripts refer to is in the table', () => {
    const files = loadStaticFiles();
    const refs = new Set<string>();
    for (const [name, file] of files) {
      const text = file.body.toString('utf8');
      for (const m of text.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)) refs.add(m[1]!);
      const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : '';
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) refs.add(new URL(m[1]!, `http://x/${dir}`).pathname.slice(1));
    }
    expect([...refs].filter((r) => !files.has(r))).toEqual([]);
    expect(refs.size).toBeGreaterThan(8);
  });

  it('/console and /console/ lead to the page', async () => {
    for (const path of ['/console', '/console/']) {
      const res = await h.request('GET', path, { key: null });
      expect(res.status, path).toBe(302);
      expect(res.headers.location, path).toBe('/');
    }
  });
});

describe('nothing outside the file table is reachable', () => {
  const attempts = [
    '/console/../../package.json',
    '/console/../package.json',
    '/console/pages/../../../package.json',
    '/console/..%2f..%2fpackage.json',
    '/console/..%2F..%2F..%2Fpackage.json',
    '/console/%2e%2e/%2e%2e/package.json',
    '/console/%2e%2e%2f%2e%2e%2fpackage.json',
    '/console/%252e%252e%252f%252e%252e%252fpackage.json',
    '/console/..%5c..%5cpackage.json',
    '/console/..\\..\\package.json',
    '/console//work/main/package.json',
    '/console/%2fetc%2fpasswd',
    '/console/app.js%00.html',
    '/console/console.ts',
    '/console/static-files.ts',
    '/console/../console.ts',
    '/console/index.html/../../package.json',
    '/console/missing.js',
    '/console/.gitignore',
    '/../package.json',
    '/%2e%2e/package.json',
    '/package.json',
  ];

  it.each(attempts)('%s answers 404 over a real socket and through the router', async (path) => {
    for (const res of [await rawGet(path), await h.request('GET', path, { key: null })]) {
      expect(res.status, path).toBe(404);
      const body = 'text' in res ? res.text : res.body;
      expect(body).not.toContain('"devDependencies"');
      expect(body).not.toContain('root:');
      expect(body).not.toContain(PACKAGE_JSON.slice(0, 40));
    }
  });
});

describe('POST /v1/console/login', () => {
  it('answers the role and key id, starts a session, and audits the sign-in as break-glass with actor and request id', async () => {
    const viewer = (await h.request('POST', '/v1/api-keys', { body: { name: 'console viewer', role: 'viewer' } })).json;
    const res = await h.request('POST', '/v1/console/login', { key: viewer.key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ role: 'viewer', keyId: viewer.id, method: 'api-key' });
    expect(String(res.headers['set-cookie'])).toMatch(/^postern_session=[A-Za-z0-9_-]{40,}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(JSON.stringify(res.json)).not.toContain(viewer.key);
    const events = (await h.request('GET', `/v1/audit?action=console.login&target=${viewer.id}`)).json.data;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: `key:${viewer.id}`, action: 'console.login', target: viewer.id, requestId: res.headers['x-request-id'] });
    expect(events[0].after).toMatchObject({ method: 'api-key', breakGlass: true, role: 'viewer' });

    const admin = await h.request('POST', '/v1/console/login', { key: ADMIN_TOKEN });
    expect(admin.json).toMatchObject({ role: 'admin', keyId: 'bootstrap', method: 'api-key' });
  });

  it('refuses a wrong key with 401 and keys of other roles with 403, and audits neither', async () => {
    const before = (await h.request('GET', '/v1/audit?action=console.login&limit=1000')).json.data.length;
    const wrong = await h.request('POST', '/v1/console/login', { key: 'pst_0000000000000000000000000000000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('UNAUTHENTICATED');
    for (const role of ['enroll', 'gateway']) {
      const key = (await h.request('POST', '/v1/api-keys', { body: { name: role, role } })).json.key;
      const res = await h.request('POST', '/v1/console/login', { key });
      expect(res.status, role).toBe(403);
      expect(res.json.error.code).toBe('FORBIDDEN');
    }
    expect((await h.request('GET', '/v1/audit?action=console.login&limit=1000')).json.data.length).toBe(before);
  });
});

describe('the browser code', () => {
  it('never turns data into HTML or code: no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval', () => {
    const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc|eval\s*\(|new Function|setTimeout\s*\(\s*['"`])/;
    // Vendored libraries (codejar restores its own undo snapshots with innerHTML) are not postern's code.
    const offenders = [...loadStaticFiles(STATIC_DIR)]
      .filter(([name]) => (name.endsWith('.js') || name.endsWith('.html')) && !name.startsWith('vendor/'))
      .flatMap(([name, file]) => file.body.toString('utf8').split('\n').map((line, i) => [`${name}:${i + 1}`, line] as const))
      .filter(([, line]) => sinks.test(line))
      .map(([where, line]) => `${where}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });

  it('loads nothing from other origins and has no inline scripts or styles (the CSP would block them)', () => {
    for (const [name, file] of loadStaticFiles()) {
      const text = file.body.toString('utf8');
      expect(text, name).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      if (name.endsWith('.html')) {
        expect(text, name).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(text, name).not.toMatch(/\sstyle=|<style/);
        expect(text, name).not.toMatch(/\son[a-z]+=/);
      }
    }
  });
});
