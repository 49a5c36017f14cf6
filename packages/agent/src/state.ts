/**
 * The agent's state file (mode 0600): its tokens and everything it was told at enrollment (server, CA file, name,
 * serials), so every later report, `run` and the installed service use the same settings without repeating them.
 * Written beside and renamed over, so a crash mid-write never leaves the agent without its tokens. When root writes
 * it into a directory owned by the service's user (/var/lib/postern-agent), the file is handed to that user.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AgentError } from './errors.ts';

export interface AgentState {
  server: string;
  /** `--ca-file` given at enrollment, and its PEM as read then (so the service needs no access to that path). */
  caFile?: string | null;
  caPem?: string | null;
  deviceId: string;
  /** Reports this machine's facts (`pdt_…`); never leaves the machine. */
  deviceToken: string;
  /** Identifies this machine to gateways (`pdp_…`, sent as X-Postern-Device-Token); cannot change anything. */
  presenceToken: string;
  /** `--name` given at enrollment; null: the host name at each report. */
  name?: string | null;
  /** `--serial` given at enrollment; null: read from the firmware at each report. */
  serialNumbers?: string[] | null;
  /** The firmware's serials when last readable (enrollment as root): reported when the service cannot read them. */
  firmwareSerials?: string[];
}

/** `POSTERN_AGENT_STATE`, else the per-user config directory (root on Linux: /var/lib/postern-agent). */
export function defaultStateFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POSTERN_AGENT_STATE) return env.POSTERN_AGENT_STATE;
  if (process.platform === 'linux' && process.getuid?.() === 0) return '/var/lib/postern-agent/agent.json';
  if (process.platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'postern', 'agent.json');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'postern', 'agent.json');
}

export function loadState(file: string): AgentState | null {
  if (!existsSync(file)) return null;
  let parsed: AgentState;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as AgentState;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AgentError(
      'STATE_UNREADABLE',
      code === 'EACCES'
        ? `The agent's state ${file} is not readable by this user: run as the user that enrolled (or root).`
        : `The agent's state ${file} is not valid JSON: restore it or enroll again with --enroll-key into a new --state.`,
    );
  }
  if (typeof parsed?.server !== 'string' || typeof parsed.deviceToken !== 'string') {
    throw new AgentError('STATE_UNREADABLE', `The agent's state ${file} lacks its server or token: enroll again with --enroll-key.`);
  }
  return parsed;
}

export function saveState(file: string, state: AgentState): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  if (process.getuid?.() === 0) {
    const owner = statSync(dir);
    if (owner.uid !== 0) chownSync(tmp, owner.uid, owner.gid);
  }
  renameSync(tmp, file);
}
