/**
 * Runs the Falcon simulator on its own (benches run it in another process; people try postern against it):
 *
 *   node --import tsx src/vendors/falcon/simulator/main.ts [--port 0] [--host 127.0.0.1] [--hosts 100] [--seed 1]
 *     [--region us-1] [--token-lifetime 1799] [--fault SPEC]…
 *
 * Prints one JSON line `{"url","clientId","clientSecret","region","hosts"}` when ready, then serves until killed.
 */
import { startFalconSimulator } from './server.ts';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const faults = args.flatMap((a, i) => (a === '--fault' && args[i + 1] ? [args[i + 1] as string] : []));

const sim = await startFalconSimulator({
  host: value('host'),
  port: Number(value('port') ?? 0),
  hostCount: Number(value('hosts') ?? 100),
  seed: value('seed') ?? 1,
  region: value('region'),
  tokenLifetimeSeconds: value('token-lifetime') === undefined ? undefined : Number(value('token-lifetime')),
  faults,
});
process.stdout.write(
  `${JSON.stringify({ url: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret, region: sim.region, hosts: sim.state.hosts.length })}\n`,
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
