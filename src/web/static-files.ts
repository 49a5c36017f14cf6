/**
 * The console's static files: every file under `static/` with a known extension is read once at start into a
 * fixed table, and requests are answered from that table only. A request path is a key into the table, never a
 * file-system path, so `..`, encoded slashes and the like simply find nothing and answer 404. Vendored libraries
 * (`vendor/…`, from node_modules) join the same table.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** Small browser libraries from npm, served by postern itself (never from a CDN): path under /console/ → module. */
export const VENDOR_FILES: Record<string, string> = {
  'vendor/codejar.js': 'codejar',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Headers on every console file: no caching, no sniffing, no framing, scripts and styles from this origin only. */
export const CONSOLE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Files by their path under `static/` with forward slashes, e.g. `pages/devices.js`. */
export function loadStaticFiles(dir: string = STATIC_DIR): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      if (name.startsWith('.')) continue;
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const ext = name.slice(name.lastIndexOf('.'));
      const contentType = CONTENT_TYPES[ext];
      if (contentType) files.set(relative(dir, path).split(sep).join('/'), { body: readFileSync(path), contentType });
    }
  };
  walk(dir);
  const require = createRequire(import.meta.url);
  for (const [name, module] of Object.entries(VENDOR_FILES)) {
    files.set(name, { body: readFileSync(require.resolve(module)), contentType: CONTENT_TYPES['.js']! });
  }
  return files;
}
