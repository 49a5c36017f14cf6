/**
 * What the agent reports about the machine it runs on: host name, OS, OS version, serial numbers, addresses, MACs
 * and the local SentinelOne agent UUID. The thin I/O shell over the parsers in serials.ts; a missing or unreadable
 * serial is absent, never guessed, and `collectSerials` says whether the firmware could be read at all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces, platform, release } from 'node:os';
import { s1UuidFromSentinelctl, serialFromDmidecode, serialFromIoreg, serialFromSystemProfiler, serialFromWin32Bios, serialsFromSysfs } from './serials.ts';

export interface DeviceFacts {
  name: string;
  os: string;
  osVersion: string | null;
  serialNumbers: string[];
  addresses: string[];
  /** The machine's MACs; a claim the server shows, never a key it matches on until an admin sets it. */
  macAddresses?: string[];
  /** The local SentinelOne agent's UUID (null: none here); a claim the server keeps until an admin approves it. */
  s1AgentUuid?: string | null;
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { darwin: 'macos', win32: 'windows', linux: 'linux', freebsd: 'freebsd', openbsd: 'openbsd' };

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** A sysfs file's text; null when absent, 'denied' when only root may read it (product_serial is 0400). */
function readSysfs(path: string): string | null | 'denied' {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : null;
  }
}

export interface SerialReading {
  serials: string[];
  /** False when the firmware could not be read here (not root on Linux): "none found" is then not a fact. */
  readable: boolean;
}

export function collectSerials(os: NodeJS.Platform = platform()): SerialReading {
  if (os === 'linux') {
    const files: Record<string, string | null> = {};
    let denied = false;
    for (const f of ['product_serial', 'board_serial', 'chassis_serial']) {
      const text = readSysfs(`/sys/class/dmi/id/${f}`);
      if (text === 'denied') denied = true;
      else files[f] = text;
    }
    const serials = serialsFromSysfs(files);
    if (serials.length > 0 || !denied) return { serials, readable: true };
    const viaDmidecode = serialFromDmidecode(run('dmidecode', ['-s', 'system-serial-number']));
    return viaDmidecode ? { serials: [viaDmidecode], readable: true } : { serials: [], readable: false };
  }
  if (os === 'darwin') {
    const serial = serialFromIoreg(run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'])) ?? serialFromSystemProfiler(run('system_profiler', ['SPHardwareDataType']));
    return { serials: serial ? [serial] : [], readable: true };
  }
  if (os === 'win32') {
    const serial = serialFromWin32Bios(run('powershell', ['-NoProfile', '-NonInteractive', '-Command', '(Get-CimInstance Win32_BIOS).SerialNumber']));
    return { serials: serial ? [serial] : [], readable: true };
  }
  return { serials: [], readable: true };
}

/** Where each platform's SentinelOne agent puts `sentinelctl`, and what to ask it. */
function sentinelctl(os: NodeJS.Platform): [string, string[]] | null {
  if (os === 'linux') return ['/opt/sentinelone/bin/sentinelctl', ['management', 'uuid', 'get']];
  if (os === 'darwin') return ['/usr/local/bin/sentinelctl', ['summary']];
  if (os === 'win32') {
    const base = 'C:\\Program Files\\SentinelOne';
    try {
      const dir = readdirSync(base).filter((d) => d.startsWith('Sentinel Agent')).sort().pop();
      return dir ? [`${base}\\${dir}\\SentinelCtl.exe`, ['agent_id']] : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** The local SentinelOne agent's UUID where the platform exposes it; null when S1 is not installed or says nothing. */
export function readS1AgentUuid(os: NodeJS.Platform = platform()): string | null {
  const ctl = sentinelctl(os);
  if (!ctl || (os !== 'win32' && !existsSync(ctl[0]))) return null;
  return s1UuidFromSentinelctl(run(ctl[0], ctl[1]));
}

export function collectAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a.address)
    .slice(0, 32);
}

/** The MACs of the machine's non-internal interfaces (postern decides which may ever identify it). */
export function collectMacs(): string[] {
  const macs = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && a.mac !== '00:00:00:00:00:00')
    .map((a) => a.mac.toLowerCase());
  return [...new Set(macs)].slice(0, 32);
}

export function hostName(): string {
  return hostname().slice(0, 200);
}

/** The machine as it is now; `serialReading` tells the caller whether an empty serial list is a fact. */
export function collectFacts(overrides: Partial<DeviceFacts> = {}): DeviceFacts & { serialsReadable: boolean } {
  const reading = overrides.serialNumbers ? { serials: overrides.serialNumbers, readable: true } : collectSerials();
  return {
    name: overrides.name ?? hostName(),
    os: overrides.os ?? OS_NAMES[platform()] ?? 'unknown',
    osVersion: overrides.osVersion ?? (release().slice(0, 64) || null),
    serialNumbers: reading.serials,
    addresses: overrides.addresses ?? collectAddresses(),
    macAddresses: overrides.macAddresses ?? collectMacs(),
    s1AgentUuid: overrides.s1AgentUuid !== undefined ? overrides.s1AgentUuid : readS1AgentUuid(),
    serialsReadable: reading.readable,
  };
}
