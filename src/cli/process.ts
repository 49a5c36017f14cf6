/** Keeps a long-running command alive until SIGINT or SIGTERM, then shuts it down cleanly once. */
export function runUntilSignal(shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      shutdown()
        .catch((err: unknown) => process.stderr.write(`shutdown failed: ${(err as Error).message}\n`))
        .finally(() => resolve());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
