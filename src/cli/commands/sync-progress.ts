/**
 * Follows a running sync until it ends, showing records fetched out of the vendor's total: a progress bar on a
 * terminal, plain `syncing: fetched N of M agents` lines otherwise (logs, CI, pipes), each only when it changed and
 * once something was fetched.
 * Answers the integration as it stands after the sync.
 */
import { SingleBar } from 'cli-progress';
import { callApiOrThrow, type Output, type RemoteOptions } from './remote.ts';

export interface IntegrationStatusView {
  id: string;
  name: string;
  baseUrl: string;
  status: {
    state: string;
    summary: string;
    lastError: { code: string; message: string } | null;
    progress?: { fetched: number; total: number | null };
  };
}

const BUSY = new Set(['syncing', 'waiting_to_sync']);

export async function followSync(
  remote: RemoteOptions,
  id: string,
  io: Output,
  options: { tty: boolean; intervalMs?: number; quiet?: boolean; maxWaitMs?: number } = { tty: false },
): Promise<IntegrationStatusView> {
  const interval = options.intervalMs ?? 300;
  const giveUpAt = Date.now() + (options.maxWaitMs ?? 60 * 60_000);
  let bar: SingleBar | null = null;
  let last = '';
  try {
    for (;;) {
      const view = await callApiOrThrow<IntegrationStatusView>(remote, 'GET', `/v1/integrations/${encodeURIComponent(id)}`);
      if (!BUSY.has(view.status.state)) return view;
      if (Date.now() > giveUpAt) throw new Error(`The sync of ${id} has not ended after an hour; it goes on in postern. Check it with \`postern integrations list\`.`);
      const p = view.status.progress;
      if (p && !options.quiet) {
        if (options.tty) {
          if (p.total !== null) {
            bar ??= new SingleBar({ format: 'syncing [{bar}] {value}/{total} agents', hideCursor: true, clearOnComplete: true, stream: process.stderr });
            if (!bar.isActive) bar.start(p.total, p.fetched);
            bar.setTotal(p.total);
            bar.update(p.fetched);
          }
        } else if (p.fetched > 0) {
          // Nothing fetched yet is no count at all: say nothing rather than "fetched 0 agents".
          const line = p.total === null ? `syncing: fetched ${p.fetched} agents` : `syncing: fetched ${p.fetched} of ${p.total} agents`;
          if (line !== last) io.out(line);
          last = line;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    bar?.stop();
  }
}
