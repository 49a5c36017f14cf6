import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
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
      if (postern.generatedAdminToken) {
        process.stdout.write(
          `\nNo POSTERN_ADMIN_TOKEN was set, so postern created an admin API key. It is shown this once:\n\n  ${postern.generatedAdminToken}\n\n` +
            `Use it as "Authorization: Bearer <key>" on ${url}/v1/… and keep it somewhere safe.\n\n`,
        );
      }
      await runUntilSignal(() => postern.close());
    });
}
