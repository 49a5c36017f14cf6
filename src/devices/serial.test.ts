import { describe, expect, it } from 'vitest';
import { isPlaceholderSerial, normalizeSerial, usableSerial } from './serial.ts';

describe('serial numbers match however firmware and admins write them', () => {
  it.each([
    ['C02XL0GJH7JY', 'C02XL0GJH7JY'],
    ['  c02xl0gjh7jy  ', 'C02XL0GJH7JY'],
    ['C02 XL0 GJH 7JY', 'C02XL0GJH7JY'],
    ['c02\tXL0\nGJH7JY', 'C02XL0GJH7JY'],
    ['ＰＦ２ＡＢＣ', 'PF2ABC'],
    ['', ''],
  ])('normalizeSerial(%j) = %j', (raw, expected) => {
    expect(normalizeSerial(raw)).toBe(expected);
  });

  it('treats null and undefined as no serial', () => {
    expect(normalizeSerial(null)).toBe('');
    expect(normalizeSerial(undefined)).toBe('');
  });
});

describe('placeholder serials never match anything', () => {
  it.each([
    '',
    '0',
    'None',
    'none',
    'Default string',
    'To be filled by O.E.M.',
    'TO BE FILLED BY O.E.M.',
    'System Serial Number',
    'Not Specified',
    '123456789',
    '0000000000',
    'XXXXXXXX',
    'N/A',
    'Chassis Serial Number',
  ])('%j is a placeholder', (raw) => {
    expect(isPlaceholderSerial(normalizeSerial(raw))).toBe(true);
    expect(usableSerial(raw)).toBeNull();
  });

  it.each(['C02XL0GJH7JY', 'PF2ABCDE', '5CG1234XYZ', 'VMware-56 4d 3a', '1234567891'])('%j is a real serial', (raw) => {
    expect(usableSerial(raw)).not.toBeNull();
  });
});
