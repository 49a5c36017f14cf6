/**
 * `postern agent report`: the identity collector. The first run registers this machine with an enrollment key
 * and keeps the device token it gets back in a state file (mode 0600); later runs report the machine's current
 * facts with that token. Run it at boot or from a timer.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { collectFacts, type DeviceFacts } from '../device-facts.ts';
import { callApiOrThrow } from './remote.ts';

export interface AgentState {
  server: string;
  deviceId: string;
  /** Reports this machine's facts (`pdt_…`); never leaves the machine. */
  deviceToken: string;
  /** Identifies this machine to gateways (`pdp_…`, sent as X-Postern-Device-Token); cannot change anything. */
  presenceToken: string;
}

export const defaultStateFile = () => join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'postern', 'agent.json');

export interface ReportOptions {
  server: string;
  enrollKey?: string;
  stateFile: string;
  facts: DeviceFacts;
  user?: string;
}

/** Registers or reports; answers the device id and whether it was a new registration. */
export async function report(options: ReportOptions): Promise<{ deviceId: string; registered: boolean }> {
  const state = existsSync(options.stateFile) ? (JSON.parse(readFileSync(options.stateFile, 'utf8')) as AgentState) : null;
  if (state && state.server === options.server) {
    const device = await callApiOrThrow<{ id: string; tokens?: { deviceToken: string; presenceToken: string } }>(
      { server: options.server, token: state.deviceToken },
      'PUT',
      '/v1/enroll/self',
      options.facts,
    );
    // An admin rotated this device's tokens: the answer carries the new ones, and the old ones no longer work.
    if (device.tokens) saveState(options.stateFile, { ...state, deviceToken: device.tokens.deviceToken, presenceToken: device.tokens.presenceToken });
    return { deviceId: device.id, registered: false };
  }
  if (!options.enrollKey) {
    throw new PosternError('UNAUTHENTICATED', `This machine is not enrolled with ${options.server} yet: pass --enroll-key with a key from an admin.`);
  }
  const body = { ...options.facts, ...(options.user ? { user: options.user } : {}) };
  const res = await callApiOrThrow<{ device: { id: string }; deviceToken: string; presenceToken: string }>({ server: options.server, token: options.enrollKey }, 'POST', '/v1/enroll', body);
  saveState(options.stateFile, { server: options.server, deviceId: res.device.id, deviceToken: res.deviceToken, presenceToken: res.presenceToken });
  return { deviceId: res.device.id, registered: true };
}

/** Written beside and renamed over, so a crash mid-write never leaves the agent without its tokens. */
function saveState(file: string, state: AgentState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function registerAgentCommand(program: Command): void {
  const agent = program.command('agent').description('The identity collector that runs on each device');
  agent
    .command('report')
    .description('Register this machine (first run, with --enroll-key) or report its current facts')
    .requiredOption('--server <url>', 'postern URL, e.g. https://postern.example.com')
    .option('--enroll-key <key>', 'enrollment key (pek_…) for the first registration')
    .option('--state <file>', 'where the device token is kept', defaultStateFile())
    .option('--user <email>', "the device's user")
    .option('--name <name>', 'device name (default: host name)')
    .option('--serial <serial...>', 'serial numbers to report instead of reading the firmware')
    .action(async (opts: { server: string; enrollKey?: string; state: string; user?: string; name?: string; serial?: string[] }) => {
      const facts = collectFacts({ ...(opts.name ? { name: opts.name } : {}), ...(opts.serial ? { serialNumbers: opts.serial } : {}) });
      if (facts.serialNumbers.length === 0) {
        process.stderr.write('No serial number could be read on this machine (on Linux, run as root); the device will not match SentinelOne.\n');
      }
      const result = await report({ server: opts.server.replace(/\/+$/, ''), enrollKey: opts.enrollKey, stateFile: opts.state, facts, user: opts.user });
      process.stdout.write(`${result.registered ? 'Registered' : 'Reported'} ${facts.name} as ${result.deviceId} (serials: ${facts.serialNumbers.join(', ') || 'none'}).\n`);
    });
  agent
    .command('presence-token')
    .description('Print the token this machine shows gateways (X-Postern-Device-Token), for a local proxy or browser setting')
    .option('--state <file>', 'where the agent keeps its tokens', defaultStateFile())
    .action((opts: { state: string }) => {
      if (!existsSync(opts.state)) throw new PosternError('UNAUTHENTICATED', 'This machine is not enrolled yet: run `postern agent report --enroll-key …` first.');
      process.stdout.write(`${(JSON.parse(readFileSync(opts.state, 'utf8')) as AgentState).presenceToken}\n`);
    });
}
