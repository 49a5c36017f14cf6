/**
 * The documented production start, as an operator runs it: `npx postern serve` stops on SIGTERM (as a container's
 * stop sends it to that process) instead of leaving the server running as an orphan, and a generated admin key
 * reaches the operator in a file only they may read, never the log stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../store/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function start(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, POSTERN_PORT: '0', POSTERN_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = new Promise<string>((found, fail) => {
    const timer = setInterval(() => {
      const m = /"url":"(https?:\/\/[^"]+)"/.exec(out.stdout);
      if (m) {
        clearInterval(timer);
        found(m[1]!);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      fail(new Error(`postern exited before listening: ${out.stderr || out.stdout}`));
    });
  });
  return { child, out, url, exited };
}

const reachable = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => true,
    () => false,
  );

async function stop(child: ChildProcess, exited: Promise<void>) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}

describe('postern serve as documented', () => {
  it('SIGTERM to `npx postern serve` stops postern cleanly (its process lease released), leaving no orphan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-sigterm-'));
    const databaseUrl = `sqlite:${join(dir, 'p.db')}`;
    const run = start('npx', ['postern', 'serve'], { POSTERN_DATABASE_URL: databaseUrl, POSTERN_ADMIN_TOKEN: 'pst_sigterm_admin_token_0123456789abcdef' });
    try {
      const url = await run.url;
      expect(await reachable(url)).toBe(true);
      run.child.kill('SIGTERM');
      await expect.poll(() => reachable(url), { timeout: 15_000, interval: 200 }).toBe(false);
      // The server shut down through its own close(): the lease it held is gone, not left to expire.
      const store = await openStore(databaseUrl);
      try {
        await expect.poll(async () => store.db.selectFrom('postern_processes').selectAll().execute(), { timeout: 10_000 }).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await stop(run.child, run.exited);
    }
  }, 120_000);

  it('a generated admin key goes to a 0600 file beside the key file, never to stdout or stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-adminkey-'));
    const run = start(process.execPath, [join(ROOT, 'bin/postern.mjs'), 'serve'], { POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_ADMIN_TOKEN: '' });
    try {
      const url = await run.url;
      const file = join(dir, 'admin.key');
      await expect.poll(() => run.out.stderr, { timeout: 10_000 }).toContain(`wrote it to ${file} (mode 0600)`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^pst_/);
      expect(run.out.stdout + run.out.stderr).not.toContain(key);
      const res = await fetch(`${url}/v1/integrations`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    } finally {
      await stop(run.child, run.exited);
    }
  }, 120_000);
});
