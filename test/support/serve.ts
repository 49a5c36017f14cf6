/**
 * A real `postern serve` child process, as tests that kill, restart or run several postern processes need it: its
 * URL once it listens, its JSON log lines (with the real time each arrived), and a way to call its API as admin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ServedPostern {
  url: string;
  child: ChildProcess;
  /** Every JSON log line it printed, with the real time it arrived. */
  lines: { at: number; entry: Record<string, unknown> }[];
  /** Resolves with the signal or exit code. */
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts `postern serve` on a free loopback port with these settings (besides the environment) and waits for it to listen. */
export async function servePostern(env: Record<string, string>, label = 'postern'): Promise<ServedPostern> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/postern.mjs'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, POSTERN_PORT: '0', POSTERN_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
  const lines: ServedPostern['lines'] = [];
  let buffer = '';
  let err = '';
  const url = await new Promise<string>((found, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push({ at: Date.now(), entry });
          if (entry.msg && String(entry.msg).startsWith('postern listening')) found(String(entry.url));
        } catch {
          /* not a log line */
        }
      }
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    void exited.then((how) => fail(new Error(`${label} exited (${String(how)}) before listening: ${err || buffer.slice(-2000)}`)));
  });
  return { url, child, lines, exited };
}

/** Calls a served postern's API with this admin token; answers the status and the parsed body. */
export function adminApi(adminToken: string) {
  return async (server: Pick<ServedPostern, 'url'>, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, text };
  };
}
