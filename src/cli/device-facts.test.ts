/**
 * The agent reads a machine's serial the way macOS (`ioreg`) and Windows (`Get-CimInstance Win32_BIOS`) print it,
 * from recorded-shape outputs in test/fixtures/serials, and reports nothing for placeholders and empty answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serialFromIoreg, serialFromWin32Bios } from './device-facts.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../test/fixtures/serials', name), 'utf8');

describe('macOS serials from ioreg', () => {
  it.each([
    ['ioreg-macbookpro-arm.txt', 'C02XL0GJH7JY'],
    ['ioreg-imac-intel.txt', 'D25XK1ABJV40'],
    ['ioreg-vm-placeholder.txt', null],
    ['ioreg-empty-serial.txt', null],
  ])('%s → %s', (file, serial) => expect(serialFromIoreg(fixture(file))).toBe(serial));

  it('no output (ioreg missing) is no serial', () => expect(serialFromIoreg('')).toBeNull());
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

describe('the agent reports the machine\'s MACs', () => {
  it('lists each non-internal interface MAC once, lower-case, never the all-zero one', async () => {
    const { collectMacs } = await import('./device-facts.ts');
    const macs = collectMacs();
    expect(new Set(macs).size).toBe(macs.length);
    for (const m of macs) expect(m).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(macs).not.toContain('00:00:00:00:00:00');
  });
});
