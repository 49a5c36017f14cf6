/**
 * Entry point of the built `postern-agent` (dist/postern-agent.cjs, and the single executable, where
 * `__POSTERN_AGENT_SEA__` is true: the executable runs itself, no script path).
 */
import { realpathSync } from 'node:fs';
import { main } from './cli.ts';

declare const __POSTERN_AGENT_SEA__: boolean;

const self = __POSTERN_AGENT_SEA__ ? [process.execPath] : [process.execPath, realpathSync(process.argv[1] ?? '')];
void main(process.argv.slice(2), {
  self,
  name: 'postern-agent',
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
}).then((code) => {
  process.exitCode = code;
});
