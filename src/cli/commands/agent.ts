/**
 * `postern agent report`: the identity collector. The first run registers this machine with an enrollment key
 * and keeps the device token it gets back in a state file (mode 0600); later runs report the machine's current
 * facts with that token. Run it at boot or from a timer.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { systemClock } from '../../lib/clock.ts';
import { installPlan, parseInterval, reportLoop } from '../agent-service.ts';
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
  enrollKey?: string | undefined;
  stateFile: string;
  facts: DeviceFacts;
  /** A user the device names itself: only a claim, until an admin approves it. */
  user?: string | undefined;
  /**
   * Sign in at the identity provider while enrolling: `prompt` shows the person where to go, `sleep` waits between
   * asks whether they have finished (the provider's interval).
   */
  login?: { prompt(start: LoginStart): void; sleep(ms: number): Promise<void> } | undefined;
}

export interface LoginStart {
  login: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  userCode: string;
  intervalSeconds: number;
  expiresInSeconds: number;
}

/**
 * Sends `body` with a sign-in: starts it (the person is shown where to go), then sends `body` with the login every
 * interval while the provider says the person has not finished.
 */
async function withLogin<T>(
  remote: { server: string; token: string },
  login: NonNullable<ReportOptions['login']>,
  send: (body: Record<string, unknown>) => Promise<T>,
  body: Record<string, unknown>,
): Promise<T> {
  const start = await callApiOrThrow<LoginStart>(remote, 'POST', '/v1/enroll/login');
  login.prompt(start);
  const attempts = Math.max(1, Math.ceil(start.expiresInSeconds / Math.max(1, start.intervalSeconds)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await send({ ...body, login: start.login });
    } catch (err) {
      if (!(err instanceof PosternError && err.code === 'LOGIN_PENDING') || attempt >= attempts) throw err;
      await login.sleep(start.intervalSeconds * 1000);
    }
  }
}

/** Registers or reports; answers the device id and whether it was a new registration. */
export async function report(options: ReportOptions): Promise<{ deviceId: string; registered: boolean }> {
  const state = existsSync(options.stateFile) ? (JSON.parse(readFileSync(options.stateFile, 'utf8')) as AgentState) : null;
  if (state && state.server === options.server) {
    const remote = { server: options.server, token: state.deviceToken };
    type Reported = { id: string; tokens?: { deviceToken: string; presenceToken: string } };
    const send = (body: Record<string, unknown>) => callApiOrThrow<Reported>(remote, 'PUT', '/v1/enroll/self', body);
    const facts = { ...options.facts };
    const device = options.login ? await withLogin(remote, options.login, send, facts) : await send(facts);
    // An admin rotated this device's tokens: the answer carries the new ones, and the old ones no longer work.
    if (device.tokens) saveState(options.stateFile, { ...state, deviceToken: device.tokens.deviceToken, presenceToken: device.tokens.presenceToken });
    return { deviceId: device.id, registered: false };
  }
  if (!options.enrollKey) {
    throw new PosternError('UNAUTHENTICATED', `This machine is not enrolled with ${options.server} yet: pass --enroll-key with a key from an admin.`);
  }
  const remote = { server: options.server, token: options.enrollKey };
  const body: Record<string, unknown> = { ...options.facts, ...(options.user ? { user: options.user } : {}) };
  type Enrolled = { device: { id: string }; deviceToken: string; presenceToken: string };
  const send = (b: Record<string, unknown>) => callApiOrThrow<Enrolled>(remote, 'POST', '/v1/enroll', b);
  const res = options.login ? await withLogin(remote, options.login, send, body) : await send(body);
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
    .option('--user <email>', "the device's user as you claim it (an admin must approve it; --login proves it instead)")
    .option('--login', "sign in at your organisation's identity provider, which proves the device's user")
    .option('--name <name>', 'device name (default: host name)')
    .option('--serial <serial...>', 'serial numbers to report instead of reading the firmware')
    .action(async (opts: { server: string; enrollKey?: string; state: string; user?: string; login?: boolean; name?: string; serial?: string[] }) => {
      const facts = collectFacts({ ...(opts.name ? { name: opts.name } : {}), ...(opts.serial ? { serialNumbers: opts.serial } : {}) });
      if (facts.serialNumbers.length === 0) {
        process.stderr.write('No serial number could be read on this machine (on Linux, run as root); the device will not match SentinelOne.\n');
      }
      const login = opts.login
        ? {
            prompt: (start: LoginStart) =>
              process.stdout.write(
                `To sign in, open ${start.verificationUriComplete ?? start.verificationUri} and enter the code ${start.userCode}.\nWaiting for the sign-in…\n`,
              ),
            sleep: (ms: number) => systemClock.sleep(ms),
          }
        : undefined;
      const result = await report({ server: opts.server.replace(/\/+$/, ''), enrollKey: opts.enrollKey, stateFile: opts.state, facts, user: opts.user, login });
      process.stdout.write(`${result.registered ? 'Registered' : 'Reported'} ${facts.name} as ${result.deviceId} (serials: ${facts.serialNumbers.join(', ') || 'none'}).\n`);
    });
  agent
    .command('run')
    .description('Keep reporting this machine every --interval (what the installed service runs); registers first with --enroll-key')
    .requiredOption('--server <url>', 'postern URL, e.g. https://postern.example.com')
    .option('--enroll-key <key>', 'enrollment key (pek_…) for the first registration')
    .option('--state <file>', 'where the device token is kept', defaultStateFile())
    .option('--interval <duration>', 'time between reports: 15m, 30s, 1h', '15m')
    .option('--name <name>', 'device name (default: host name)')
    .action(async (opts: { server: string; enrollKey?: string; state: string; interval: string; name?: string }) => {
      const intervalMs = parseInterval(opts.interval);
      const controller = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort(new Error(signal)));
      const server = opts.server.replace(/\/+$/, '');
      await reportLoop({
        intervalMs,
        signal: controller.signal,
        sleep: (ms, signal) => systemClock.sleep(ms, signal),
        once: async () => {
          const facts = collectFacts(opts.name ? { name: opts.name } : {});
          const result = await report({ server, enrollKey: opts.enrollKey, stateFile: opts.state, facts });
          process.stdout.write(`${new Date().toISOString()} ${result.registered ? 'registered' : 'reported'} ${result.deviceId}\n`);
        },
        onError: (err) => process.stderr.write(`${new Date().toISOString()} report failed: ${(err as Error).message}\n`),
      });
    });
  agent
    .command('install')
    .description('Install the agent as a service (systemd on Linux, launchd on macOS, Task Scheduler on Windows) that keeps reporting')
    .requiredOption('--server <url>', 'postern URL, e.g. https://postern.example.com')
    .option('--enroll-key <key>', 'enrollment key (pek_…): registers now, so the key is never written into the service')
    .option('--state <file>', 'where the device token is kept', defaultStateFile())
    .option('--interval <duration>', 'time between reports: 15m, 30s, 1h', '15m')
    .option('--print', 'print the service definition and the commands instead of installing')
    .action(async (opts: { server: string; enrollKey?: string; state: string; interval: string; print?: boolean }) => {
      parseInterval(opts.interval);
      const server = opts.server.replace(/\/+$/, '');
      const state = resolve(opts.state);
      const entry = realpathSync(process.argv[1] ?? '');
      const plan = installPlan(platform(), {
        argv: [process.execPath, entry, 'agent', 'run', '--server', server, '--interval', opts.interval, '--state', state],
        stateFile: state,
      });
      if (opts.print) {
        process.stdout.write(`# ${plan.path}\n${plan.content}\n${plan.commands.map((c) => `# ${c.join(' ')}`).join('\n')}\n`);
        return;
      }
      if (opts.enrollKey) await report({ server, enrollKey: opts.enrollKey, stateFile: state, facts: collectFacts() });
      mkdirSync(dirname(plan.path), { recursive: true });
      // Task Scheduler reads the UTF-16 its XML declares.
      writeFileSync(plan.path, platform() === 'win32' ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plan.content, 'utf16le')]) : plan.content, { mode: 0o644 });
      for (const [command, ...args] of plan.commands) {
        try {
          execFileSync(command!, args, { stdio: 'inherit' });
        } catch (err) {
          // launchctl bootout of a service that was not loaded fails harmlessly; anything else stops the install.
          if (!(command === 'launchctl' && args[0] === 'bootout')) throw err;
        }
      }
      process.stdout.write(`Installed ${plan.path}; the agent reports every ${opts.interval}.\n`);
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
