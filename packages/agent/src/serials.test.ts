/**
 * The agent reads a machine's serial the way each platform's tools print it, from recorded outputs in
 * test/fixtures/serials (ioreg, system_profiler, Get-CimInstance Win32_BIOS, dmidecode, /sys/class/dmi), and reports
 * nothing for the placeholders vendors ship and for empty or refused answers. The local SentinelOne agent UUID is
 * read from sentinelctl's output the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectMacs } from './facts.ts';
import { s1UuidFromSentinelctl, serialFromDmidecode, serialFromIoreg, serialFromSystemProfiler, serialFromWin32Bios, serialsFromSysfs } from './serials.ts';

const DIR = join(import.meta.dirname, '../test/fixtures/serials');
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');
const sysfs = (dir: string) => Object.fromEntries(readdirSync(join(DIR, dir)).map((f) => [f, fixture(join(dir, f))]));

describe('macOS serials from ioreg', () => {
  it.each([
    ['ioreg-macbookpro-arm.txt', 'C02XL0GJH7JY'],
    ['ioreg-imac-intel.txt', 'D25XK1ABJV40'],
    ['ioreg-vm-placeholder.txt', null],
    ['ioreg-empty-serial.txt', null],
  ])('%s → %s', (file, serial) => expect(serialFromIoreg(fixture(file))).toBe(serial));

  it('no output (ioreg missing) is no serial', () => expect(serialFromIoreg('')).toBeNull());
});

describe('macOS serials from system_profiler SPHardwareDataType', () => {
  it.each([
    ['system-profiler-macbookair-m2.txt', 'LX7Q2W9KJ4'],
    ['system-profiler-vm-placeholder.txt', null],
  ])('%s → %s', (file, serial) => expect(serialFromSystemProfiler(fixture(file))).toBe(serial));
});

describe('Windows serials from Get-CimInstance Win32_BIOS', () => {
  it.each([
    ['win32bios-lenovo.txt', 'PF3ABC12'],
    ['win32bios-vmware.txt', 'VMware-56 4d 9a 1b 2c 3d 4e 5f-60 71 82 93 a4 b5 c6 d7'],
    ['win32bios-oem-placeholder.txt', null],
    ['win32bios-default-string.txt', null],
    ['win32bios-empty.txt', null],
    ['win32bios-no-output.txt', null],
  ])('%s → %s', (file, serial) => expect(serialFromWin32Bios(fixture(file))).toBe(serial));
});

describe('Linux serials from dmidecode', () => {
  it.each([
    ['dmidecode-s-dell.txt', '4KQ7RN3'],
    ['dmidecode-s-oem-placeholder.txt', null],
    ['dmidecode-t-system-thinkpad.txt', 'PF2XK7QZ'],
    // The system serial is a placeholder; the board's real serial is not the system's and is not taken for it.
    ['dmidecode-t-system-whitebox.txt', null],
    ['dmidecode-permission-denied.txt', null],
  ])('%s → %s', (file, serial) => expect(serialFromDmidecode(fixture(file))).toBe(serial));
});

describe('Linux serials from /sys/class/dmi/id', () => {
  it.each([
    ['sysfs-hetzner-kvm', []],
    ['sysfs-dell-latitude', ['4KQ7RN3', '/4KQ7RN3/CNCMK0019H0123/']],
    ['sysfs-whitebox', ['190436719100245']],
  ])('%s → %j', (dir, serials) => expect(serialsFromSysfs(sysfs(dir))).toEqual(serials));

  it('unreadable files (not root) are no serials, not an error', () => expect(serialsFromSysfs({})).toEqual([]));
});

describe('the local SentinelOne agent UUID from sentinelctl', () => {
  it.each([
    ['sentinelctl-linux-uuid.txt', 'f431b0a1a8744d2a8a92fc88fa3c13bc'],
    ['sentinelctl-macos-summary.txt', 'f431b0a1a8744d2a8a92fc88fa3c13bc'],
    ['sentinelctl-not-running.txt', null],
  ])('%s → %s', (file, uuid) => expect(s1UuidFromSentinelctl(fixture(file))).toBe(uuid));
});

describe("the agent reports the machine's MACs", () => {
  it('lists each non-internal interface MAC once, lower-case, never the all-zero one', () => {
    const macs = collectMacs();
    expect(new Set(macs).size).toBe(macs.length);
    for (const m of macs) expect(m).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(macs).not.toContain('00:00:00:00:00:00');
  });
});
