/**
 * Serial-number normalising (pure). Two serials match only when their normalised forms are equal and neither is a
 * placeholder that firmware vendors ship on unprogrammed boards.
 */

/** Trim, upper-case, and drop all whitespace inside: `" c02 xl0gj h7jy "` → `"C02XL0GJH7JY"`. */
export function normalizeSerial(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return '';
  return raw.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
}

/** Normalised placeholder serials seen in the field (SMBIOS defaults, OEM templates, VM and test values). */
const PLACEHOLDERS = new Set(
  [
    '',
    '0',
    'None',
    'Null',
    'N/A',
    'NA',
    'Unknown',
    'Default string',
    'Default',
    'To be filled by O.E.M.',
    'To Be Filled By O.E.M',
    'To be filled by OEM',
    'OEM',
    'O.E.M.',
    'System Serial Number',
    'Chassis Serial Number',
    'Base Board Serial Number',
    'Serial Number',
    'SerialNumber',
    'Not Specified',
    'Not Applicable',
    'Not Available',
    'Invalid',
    'Empty',
    'No Asset Tag',
    'Type1ProductConfigId',
    '123456789',
    '1234567890',
    '0123456789',
    '12345678',
    'ABCDEFGHIJ',
  ].map(normalizeSerial),
);

/** True for values that identify no machine: known placeholders and runs of one repeated character. */
export function isPlaceholderSerial(normalized: string): boolean {
  if (PLACEHOLDERS.has(normalized)) return true;
  if (/^(.)\1*$/u.test(normalized)) return true; // 0000000, XXXXXXXX, ........
  return false;
}

/** Normalised serial, or null when it is missing or a placeholder and so must never match anything. */
export function usableSerial(raw: string | null | undefined): string | null {
  const normalized = normalizeSerial(raw);
  return isPlaceholderSerial(normalized) ? null : normalized;
}
