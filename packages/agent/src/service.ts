/**
 * The agent as a service: the report loop (`run`) and the service definitions `install` writes — a hardened systemd
 * unit (Linux, also shipped in the .deb), a launchd daemon plist (macOS) and a Task Scheduler task (Windows). The
 * definitions are built here as plain text (pure, tested on the generated files) for any platform, so each can be
 * reviewed from any machine; the command only writes them and enables them.
 */
import { posix } from 'node:path';
import { AgentError } from './errors.ts';

export const SERVICE_NAME = 'postern-agent';
export const LAUNCHD_LABEL = 'com.postern.agent';
export const WINDOWS_TASK = 'postern agent';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `15m`, `30s`, `1h` or plain seconds; between 30 s and 24 h. */
export function parseInterval(text: string): number {
  const m = /^\s*(\d+)\s*([smh]?)\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNITS[(m[2] || 's').toLowerCase()]! : NaN;
  if (!Number.isFinite(ms) || ms < 30_000 || ms > 86_400_000) {
    throw new AgentError('VALIDATION_FAILED', `--interval ${JSON.stringify(text)} must be a duration like 15m, 30s or 1h, between 30s and 24h.`);
  }
  return ms;
}

export interface LoopOptions {
  once(): Promise<void>;
  intervalMs: number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  signal: AbortSignal;
  onError(err: unknown): void;
  /** 0..1; each wait is the interval ±10%, so a fleet started together does not report in lockstep. */
  random?: () => number;
}

/** Reports now, then every interval until `signal` aborts; a failed report is logged and the loop goes on. */
export async function reportLoop(o: LoopOptions): Promise<void> {
  const random = o.random ?? Math.random;
  while (!o.signal.aborted) {
    try {
      await o.once();
    } catch (err) {
      o.onError(err);
    }
    if (o.signal.aborted) break;
    const wait = Math.round(o.intervalMs * (0.9 + 0.2 * random()));
    await o.sleep(wait, o.signal).catch(() => undefined);
  }
}

export interface ServiceSpec {
  /** The command line the service runs: the agent (node and its script, or the single executable), `run` and its options. */
  argv: string[];
  /** The agent's state file (its tokens and settings); the service may write there and nowhere else. */
  stateFile: string;
  /** Linux: run as this system user instead of root (the .deb's `postern-agent`). */
  user?: string | undefined;
}

export interface InstallPlan {
  path: string;
  content: string;
  /** Commands that register and start the service, in order. */
  commands: string[][];
}

const systemdQuote = (arg: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).replace(/%/g, '%%');
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const windowsQuote = (arg: string) => (/[\s"]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg);

const under = (path: string, dirs: string[]) => dirs.some((d) => path === d || path.startsWith(`${d}/`));

/**
 * A unit that may write only the state directory, sees the system read-only and home directories read-only, holds
 * no capabilities and reaches only IP networks. A state directory under /var/lib is systemd's StateDirectory (made and
 * handed to the service user by systemd); elsewhere it is a ReadWritePaths. PrivateTmp only when nothing the agent
 * needs lives in /tmp, so a state file there is never hidden from the service.
 */
export function systemdUnit(spec: ServiceSpec): string {
  const dir = posix.dirname(spec.stateFile);
  const stateDirectory = /^\/var\/lib\/[^/]+$/.test(dir) ? dir.slice('/var/lib/'.length) : null;
  const lines = [
    '[Unit]',
    "Description=postern agent: reports this machine's identity to postern",
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${spec.argv.map(systemdQuote).join(' ')}`,
    'Restart=always',
    'RestartSec=30',
    ...(spec.user ? [`User=${spec.user}`, `Group=${spec.user}`] : []),
    ...(stateDirectory ? [`StateDirectory=${stateDirectory}`, 'StateDirectoryMode=0750'] : [`ReadWritePaths=${systemdQuote(dir)}`]),
    'UMask=0077',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'ProtectSystem=strict',
    `ProtectHome=${under(dir, ['/home', '/root', '/run/user']) ? 'no' : 'read-only'}`,
    ...(under(dir, ['/tmp', '/var/tmp']) ? [] : ['PrivateTmp=yes']),
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

export function launchdPlist(spec: ServiceSpec): string {
  const args = spec.argv.map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <key>StandardErrorPath</key>
  <string>/Library/Logs/postern-agent.log</string>
</dict>
</plist>
`;
}

export function windowsTaskXml(spec: ServiceSpec): string {
  const [command, ...args] = spec.argv;
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>postern agent: reports this machine's identity to postern</Description>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
    </BootTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <StartWhenAvailable>true</StartWhenAvailable>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xml(command ?? '')}</Command>
      <Arguments>${xml(args.map(windowsQuote).join(' '))}</Arguments>
    </Exec>
  </Actions>
</Task>
`;
}

/** Where each platform's definition goes and how it is enabled. */
export function installPlan(platform: NodeJS.Platform, spec: ServiceSpec, programData = 'C:\\ProgramData'): InstallPlan {
  if (platform === 'linux') {
    const path = `/etc/systemd/system/${SERVICE_NAME}.service`;
    return { path, content: systemdUnit(spec), commands: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', `${SERVICE_NAME}.service`]] };
  }
  if (platform === 'darwin') {
    const path = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
    return { path, content: launchdPlist(spec), commands: [['launchctl', 'bootout', `system/${LAUNCHD_LABEL}`], ['launchctl', 'bootstrap', 'system', path]] };
  }
  if (platform === 'win32') {
    const path = `${programData}\\postern\\${SERVICE_NAME}.xml`;
    return {
      path,
      content: windowsTaskXml(spec),
      commands: [['schtasks', '/Create', '/TN', WINDOWS_TASK, '/XML', path, '/F'], ['schtasks', '/Run', '/TN', WINDOWS_TASK]],
    };
  }
  throw new AgentError('VALIDATION_FAILED', `postern-agent install supports Linux (systemd), macOS (launchd) and Windows (Task Scheduler), not ${platform}.`);
}
