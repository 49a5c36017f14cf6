/**
 * What `postern agent` reports about the machine it runs on: host name, OS, OS version, serial numbers and
 * addresses. Serials come from the firmware (SMBIOS on Linux, IOKit on macOS, Win32_BIOS on Windows); a missing
 * or unreadable one is simply absent, never guessed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces, platform, release } from 'node:os';
import { usableSerial } from '../devices/index.ts';

export interface DeviceFacts {
  name: string;
  os: string;
  osVersion: string | null;
  serialNumbers: string[];
  addresses: string[];
  /** The machine's MACs; a claim the server shows, never a key it matches on until an admin sets it. */
  macAddresses?: string[];
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { darwin: 'macos', win32: 'windows', linux: 'linux', freebsd: 'freebsd', openbsd: 'openbsd' };

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function readable(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** A serial worth reporting: present, not a firmware placeholder ("0", "Default string", …), not absurdly long. */
const worthReporting = (raw: string | null | undefined): string | null => {
  const s = raw?.trim() ?? '';
  return s.length > 0 && s.length <= 128 && usableSerial(s) !== null ? s : null;
};

/** The serial in `ioreg -rd1 -c IOPlatformExpertDevice` output (macOS), or null when absent or a placeholder. */
export function serialFromIoreg(output: string): string | null {
  return worthReporting(/"IOPlatformSerialNumber" = "([^"]*)"/.exec(output)?.[1]);
}

/** The serial `(Get-CimInstance Win32_BIOS).SerialNumber` printed (Windows), or null when empty or a placeholder. */
export function serialFromWin32Bios(output: string): string | null {
  return worthReporting(output.split(/\r?\n/).find((line) => line.trim() !== ''));
}

export function collectSerials(os: NodeJS.Platform = platform()): string[] {
  let found: (string | null)[] = [];
  if (os === 'linux') {
    found = ['product_serial', 'board_serial', 'chassis_serial'].map((f) => worthReporting(readable(`/sys/class/dmi/id/${f}`)));
  } else if (os === 'darwin') {
    found = [serialFromIoreg(run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']))];
  } else if (os === 'win32') {
    found = [serialFromWin32Bios(run('powershell', ['-NoProfile', '-Command', '(Get-CimInstance Win32_BIOS).SerialNumber']))];
  }
  return [...new Set(found.filter((s): s is string => s !== null))];
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

export function collectFacts(overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    name: overrides.name ?? hostname().slice(0, 200),
    os: overrides.os ?? OS_NAMES[platform()] ?? 'unknown',
    osVersion: overrides.osVersion ?? (release().slice(0, 64) || null),
    serialNumbers: overrides.serialNumbers ?? collectSerials(),
    addresses: overrides.addresses ?? collectAddresses(),
    macAddresses: overrides.macAddresses ?? collectMacs(),
  };
}
