#!/usr/bin/env node
// Entry point for the `postern` command: runs the TypeScript sources in this process through tsx (no build step,
// no child process), so a signal sent to this process reaches the server.
import { register } from 'tsx/esm/api';

// Started through npm (`npx postern serve`, `npm start`), the stop signal goes to npm, and the shell npm puts
// between itself and this process does not pass it on: npm exits and this process would run on as an orphan.
// So when the process that started this one goes away, stop exactly as on SIGTERM.
if (process.env.npm_command) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 200);
  watch.unref();
}

register();
const { runCli } = await import('../src/cli/index.ts');
await runCli(process.argv);
