/**
 * `postern-agent` (and the server's `postern agent` alias): report, run, install, status, presence-token. Options
 * parsed with node:util, so the agent needs nothing beyond Node itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { platform } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentError } from './errors.ts';
import { checkServerUrl } from './http.ts';
import { collectFacts, readS1AgentUuid } from './facts.ts';
import { report, type LoginStart } from './report.ts';
import { installPlan, parseInterval, reportLoop } from './service.ts';
import { defaultStateFile, loadState } from './state.ts';

export const AGENT_VERSION = '0.1.0';

export interface CliContext {
  /** The command line that runs this agent again (node + script, the single executable, or `postern agent`). */
  self: string[];
  /** How the agent is called in messages: `postern-agent` or `postern agent`. */
  name: string;
  out(text: string): void;
  err(text: string): void;
}

const PLATFORMS: Record<string, NodeJS.Platform> = { linux: 'linux', macos: 'darwin', darwin: 'darwin', windows: 'win32', win32: 'win32' };

/** Where the agent lives on a platform other than this one, for `install --print --platform`. */
const ELSEWHERE: Partial<Record<NodeJS.Platform, { self: string[]; state: string }>> = {
  linux: { self: ['/usr/bin/postern-agent'], state: '/var/lib/postern-agent/agent.json' },
  darwin: { self: ['/usr/local/bin/postern-agent'], state: '/Library/Application Support/postern/agent.json' },
  win32: { self: ['C:\\Program Files\\postern\\postern-agent.exe'], state: 'C:\\ProgramData\\postern\\agent.json' },
};

const common = {
  server: { type: 'string' },
  'enroll-key': { type: 'string' },
  state: { type: 'string' },
  name: { type: 'string' },
  serial: { type: 'string', multiple: true },
  'ca-file': { type: 'string' },
  reconfigure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = (n: string) => `Usage: ${n} <command> [options]

Commands:
  report     Register this machine (first run, with --enroll-key) or report its current facts
  run        Keep reporting every --interval (what the installed service runs)
  install    Install the service (systemd, launchd, Task Scheduler); --print shows it instead
  status     Show what this agent was told at enrollment and what it reads here (no tokens)
  presence-token  Print the token this machine shows gateways (X-Postern-Device-Token)

Enrollment options (kept in the state file and used by every later report, run and the service):
  --server <url>        postern URL (https; http only to loopback)
  --enroll-key <key>    enrollment key (pek_…) for the first registration
  --name <name>         device name (default: the host name at each report)
  --serial <serial>     serial number instead of the firmware's (repeatable)
  --ca-file <pem>       CA that signed postern's certificate (a private CA)
  --reconfigure         replace kept settings with the ones given (otherwise a different one is refused)
Other options:
  --state <file>        state file (env POSTERN_AGENT_STATE; default ${defaultStateFile()})
  --user <email>        the device's user as you claim it (report; an admin approves it)
  --login               sign in at your identity provider, which proves the device's user (report)
  --interval <d>        time between reports: 15m, 30s, 1h (run, install; default 15m)
  --print               print the service definition and commands instead of installing (install)
  --platform <p>        linux, macos or windows: which platform's service to print (install --print)
  --exec <path>         the agent the service runs (install; default: this one)
  --user <name>         Linux: run the service as this system user, not root (install)
`;

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new AgentError('VALIDATION_FAILED', `${(err as Error).message}. See --help.`);
  }
}

function settingsOf(v: { name?: string; serial?: string[]; 'ca-file'?: string; reconfigure?: boolean }) {
  return {
    name: v.name,
    serialNumbers: v.serial,
    caFile: v['ca-file'] === undefined ? undefined : resolve(v['ca-file']),
    reconfigure: v.reconfigure === true,
  };
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        ctx.out(HELP(ctx.name));
        return 0;
      case '--version':
      case 'version':
        ctx.out(`${AGENT_VERSION}\n`);
        return 0;
      case 'report':
        return await reportCommand(args, ctx);
      case 'run':
        return await runCommand(args, ctx);
      case 'install':
        return await installCommand(args, ctx);
      case 'status':
        return statusCommand(args, ctx);
      case 'presence-token': {
        const v = parse(args, { state: { type: 'string' } });
        const state = loadState(v.state ?? defaultStateFile());
        if (!state) throw new AgentError('UNAUTHENTICATED', `This machine is not enrolled yet: run \`${ctx.name} report --server … --enroll-key …\` first.`);
        ctx.out(`${state.presenceToken}\n`);
        return 0;
      }
      default:
        throw new AgentError('VALIDATION_FAILED', `Unknown command ${JSON.stringify(command)}: see ${ctx.name} --help.`);
    }
  } catch (err) {
    const e = err as AgentError;
    ctx.err(`${ctx.name}: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return 1;
  }
}

async function reportCommand(args: string[], ctx: CliContext): Promise<number> {
  const v = parse(args, { ...common, user: { type: 'string' }, login: { type: 'boolean' } });
  if (v.help) return ctx.out(HELP(ctx.name)), 0;
  const facts = collectFacts();
  const login = v.login
    ? {
        prompt: (start: LoginStart) =>
          ctx.out(`To sign in, open ${start.verificationUriComplete ?? start.verificationUri} and enter the code ${start.userCode}.\nWaiting for the sign-in…\n`),
        sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      }
    : undefined;
  const result = await report({ server: v.server, enrollKey: v['enroll-key'], stateFile: v.state ?? defaultStateFile(), facts, user: v.user, login, ...settingsOf(v) });
  if (result.sent.serialNumbers.length === 0) {
    ctx.err('No serial number could be read on this machine (on Linux, enroll as root); the device will not match SentinelOne by serial.\n');
  }
  ctx.out(`${result.registered ? 'Registered' : 'Reported'} ${result.sent.name} as ${result.deviceId} (serials: ${result.sent.serialNumbers.join(', ') || 'none'}).\n`);
  return 0;
}

async function runCommand(args: string[], ctx: CliContext): Promise<number> {
  const v = parse(args, { ...common, interval: { type: 'string' } });
  if (v.help) return ctx.out(HELP(ctx.name)), 0;
  const intervalMs = parseInterval(v.interval ?? '15m');
  const stateFile = v.state ?? defaultStateFile();
  if (!v.server && !loadState(stateFile)) {
    throw new AgentError('UNAUTHENTICATED', `This machine is not enrolled yet (no ${stateFile}): run \`${ctx.name} report --server … --enroll-key …\` first.`);
  }
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort(new Error(signal)));
  let first = true;
  await reportLoop({
    intervalMs,
    signal: controller.signal,
    sleep: (ms, signal) =>
      new Promise<void>((res, rej) => {
        const t = setTimeout(res, ms);
        signal.addEventListener('abort', () => (clearTimeout(t), rej(signal.reason)), { once: true });
      }),
    once: async () => {
      // Settings given on the command line apply once (and are then kept); later rounds use the state file.
      const given = first ? { server: v.server, enrollKey: v['enroll-key'], ...settingsOf(v) } : {};
      const result = await report({ stateFile, facts: collectFacts(), ...given });
      first = false;
      ctx.out(`${new Date().toISOString()} ${result.registered ? 'registered' : 'reported'} ${result.deviceId} as ${result.sent.name} (serials: ${result.sent.serialNumbers.join(', ') || 'none'})\n`);
    },
    onError: (err) => ctx.err(`${new Date().toISOString()} report failed: ${(err as Error).message}\n`),
  });
  return 0;
}

async function installCommand(args: string[], ctx: CliContext): Promise<number> {
  const v = parse(args, {
    ...common,
    interval: { type: 'string' },
    print: { type: 'boolean' },
    platform: { type: 'string' },
    exec: { type: 'string' },
    user: { type: 'string' },
    'unit-only': { type: 'boolean' },
  });
  if (v.help) return ctx.out(HELP(ctx.name)), 0;
  const interval = v.interval ?? '15m';
  parseInterval(interval);
  const target = v.platform === undefined ? platform() : PLATFORMS[v.platform.toLowerCase()];
  if (!target) throw new AgentError('VALIDATION_FAILED', `--platform must be linux, macos or windows, not ${JSON.stringify(v.platform)}.`);
  if (target !== platform() && !v.print) throw new AgentError('VALIDATION_FAILED', `--platform ${v.platform} installs nothing here: add --print to review that platform's service.`);
  const here = target === platform();
  const stateFile = v.state ? (here ? resolve(v.state) : v.state) : here ? defaultStateFile() : ELSEWHERE[target]!.state;
  const self = v.exec ? [v.exec] : here ? ctx.self : ELSEWHERE[target]!.self;
  if (v.user !== undefined && (target !== 'linux' || !/^[a-z_][a-z0-9_-]{0,31}$/.test(v.user))) {
    throw new AgentError('VALIDATION_FAILED', '--user is a Linux system user name (lower-case letters, digits, - and _) the service runs as.');
  }
  const plan = installPlan(target, { argv: [...self, 'run', '--state', stateFile, '--interval', interval], stateFile, user: v.user });
  if (v.print) {
    ctx.out(v['unit-only'] ? plan.content : `# ${plan.path}\n${plan.content}\n${plan.commands.map((c) => `# ${c.join(' ')}`).join('\n')}\n`);
    return 0;
  }
  if (v.server) checkServerUrl(v.server);
  // Enroll (or confirm the enrollment) now, so the enrollment key is never written into the service.
  if (v['enroll-key'] || v.server || !loadState(stateFile)) {
    await report({ server: v.server, enrollKey: v['enroll-key'], stateFile, facts: collectFacts(), ...settingsOf(v) });
  }
  mkdirSync(dirname(plan.path), { recursive: true });
  // Task Scheduler reads the UTF-16 its XML declares.
  writeFileSync(plan.path, target === 'win32' ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plan.content, 'utf16le')]) : plan.content, { mode: 0o644 });
  for (const [command, ...rest] of plan.commands) {
    try {
      execFileSync(command!, rest, { stdio: 'inherit' });
    } catch (err) {
      // launchctl bootout of a service that was not loaded fails harmlessly; anything else stops the install.
      if (!(command === 'launchctl' && rest[0] === 'bootout')) throw err;
    }
  }
  ctx.out(`Installed ${plan.path}; the agent reports every ${interval} with the settings kept in ${stateFile}.\n`);
  return 0;
}

function statusCommand(args: string[], ctx: CliContext): number {
  const v = parse(args, { state: { type: 'string' } });
  const stateFile = v.state ?? defaultStateFile();
  const state = loadState(stateFile);
  const facts = collectFacts();
  const lines = [
    `state:       ${stateFile}${state ? '' : ' (not enrolled)'}`,
    ...(state
      ? [
          `server:      ${state.server}`,
          `device:      ${state.deviceId}`,
          `name:        ${state.name ?? `${facts.name} (host name)`}`,
          `serials:     ${state.serialNumbers?.join(', ') ?? `firmware: ${facts.serialsReadable ? facts.serialNumbers.join(', ') || 'none' : `not readable here; kept ${state.firmwareSerials?.join(', ') || 'none'}`}`}`,
          `CA:          ${state.caFile ?? 'system trust store'}`,
        ]
      : []),
    `S1 agent:    ${readS1AgentUuid() ?? 'not found on this machine'}`,
  ];
  ctx.out(lines.join('\n') + '\n');
  return 0;
}
