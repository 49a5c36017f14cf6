import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, masterKeyFileFor } from '../../config/index.ts';
import { createPostern } from '../../main.ts';
import { runUntilSignal } from '../process.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the postern service (REST API, console, sync scheduler). Configuration from POSTERN_* variables.')
    .option('--port <port>', 'port to listen on (POSTERN_PORT, default 8080)')
    .option('--host <host>', 'address to listen on (POSTERN_HOST, default 127.0.0.1)')
    .option('--database-url <url>', 'sqlite:./data/postern.db or postgres://… (POSTERN_DATABASE_URL)')
    .action(async (opts: { port?: string; host?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, { port: opts.port, host: opts.host, databaseUrl: opts.databaseUrl });
      const postern = await createPostern({ config });
      const url = await postern.listen();
      if (postern.generatedAdminToken) handOver(postern.generatedAdminToken, url, join(dirname(masterKeyFileFor(config)), 'admin.key'));
      await runUntilSignal(() => postern.close());
    });
}

/**
 * A generated admin key goes to the operator's terminal when there is one, else to a file only its owner may read;
 * never into the log stream (stdout carries JSON logs to whatever collects them).
 */
function handOver(key: string, url: string, file: string): void {
  const use = `Use it as "Authorization: Bearer <key>" on ${url}/v1/… and keep it somewhere safe.`;
  if (process.stdout.isTTY) {
    process.stdout.write(`\nNo POSTERN_ADMIN_TOKEN was set, so postern created an admin API key. It is shown this once:\n\n  ${key}\n\n${use}\n\n`);
    return;
  }
  try {
    unlinkSync(file);
  } catch {
    // none yet
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, `${key}\n`);
  } finally {
    closeSync(fd);
  }
  process.stderr.write(`No POSTERN_ADMIN_TOKEN was set, so postern created an admin API key and wrote it to ${file} (mode 0600). ${use}\n`);
}
