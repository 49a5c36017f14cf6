/**
 * Reading a machine's serial number from what each platform's tools print: `ioreg` and `system_profiler` (macOS),
 * `Get-CimInstance Win32_BIOS` (Windows), `dmidecode` and `/sys/class/dmi/id` (Linux). Pure parsers, tested on
 * recorded outputs; placeholders vendors ship ("To be filled by O.E.M.", "Default string", "0", ...) are no serial.
 * The placeholder list mirrors the server's (src/devices/serial.ts); a server test keeps the two in agreement.
 */

export const normalizeSerial = (raw: string): string => raw.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();

/** Placeholder serials seen in the field (SMBIOS defaults, OEM templates, VM and test values). */
export const PLACEHOLDER_SERIALS: readonly string[] = [
  '', '0', 'None', 'Null', 'N/A', 'NA', 'Unknown', 'Default string', 'Default', 'To be filled by O.E.M.',
  'To Be Filled By O.E.M', 'To be filled by OEM', 'OEM', 'O.E.M.', 'System Serial Number', 'Chassis Serial Number',
  'Base Board Serial Number', 'Serial Number', 'SerialNumber', 'Not Specified', 'Not Applicable', 'Not Available',
  'Invalid', 'Empty', 'No Asset Tag', 'Type1ProductConfigId', '123456789', '1234567890', '0123456789', '12345678',
  'ABCDEFGHIJ',
];
const PLACEHOLDERS = new Set(PLACEHOLDER_SERIALS.map(normalizeSerial));

/** A serial worth reporting: present, not a placeholder or a run of one character, not absurdly long. */
export function worthReporting(raw: string | null | undefined): string | null {
  const s = raw?.trim() ?? '';
  if (s.length === 0 || s.length > 128) return null;
  const n = normalizeSerial(s);
  if (PLACEHOLDERS.has(n) || /^(.)\1*$/u.test(n)) return null;
  return s;
}

/** `ioreg -rd1 -c IOPlatformExpertDevice` (macOS). */
export function serialFromIoreg(output: string): string | null {
  return worthReporting(/"IOPlatformSerialNumber" = "([^"]*)"/.exec(output)?.[1]);
}

/** `system_profiler SPHardwareDataType` (macOS): the line `Serial Number (system): …`. */
export function serialFromSystemProfiler(output: string): string | null {
  return worthReporting(/^\s*Serial Number \(system\):\s*(.*?)\s*$/m.exec(output)?.[1]);
}

/** `(Get-CimInstance Win32_BIOS).SerialNumber` (Windows): the first non-empty line. */
export function serialFromWin32Bios(output: string): string | null {
  return worthReporting(output.split(/\r?\n/).find((line) => line.trim() !== ''));
}

/**
 * `dmidecode -s system-serial-number` (one value) or `dmidecode -t system` (a `Serial Number:` line in the System
 * Information block); comment lines (`# dmidecode 3.4`, `# SMBIOS entry point…`) are skipped.
 */
export function serialFromDmidecode(output: string): string | null {
  // Diagnostics (an unprivileged run, no SMBIOS) are never a value, whichever stream they came on.
  const diagnostic = /Permission denied|Can't read|No SMBIOS|not found|^Getting SMBIOS|^SMBIOS .* present|^\/dev\/mem/i;
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#') && !diagnostic.test(l.trim()));
  if (lines.some((l) => /^Handle 0x/i.test(l))) {
    let inSystem = false;
    for (const line of lines) {
      if (/^Handle 0x/i.test(line)) inSystem = false;
      else if (/^System Information\s*$/.test(line.trim())) inSystem = true;
      else if (inSystem) {
        const m = /^\s*Serial Number:\s*(.*?)\s*$/.exec(line);
        if (m) return worthReporting(m[1]);
      }
    }
    return null;
  }
  return worthReporting(lines[0]);
}

/** `/sys/class/dmi/id/{product_serial,board_serial,chassis_serial}` (Linux): each usable one, once. */
export function serialsFromSysfs(files: Record<string, string | null>): string[] {
  const found = ['product_serial', 'board_serial', 'chassis_serial'].map((f) => worthReporting(files[f] ?? null));
  return [...new Set(found.filter((s): s is string => s !== null))];
}

const UUID = /\b([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})\b/i;

/**
 * The SentinelOne agent UUID in what `sentinelctl` prints (`management uuid get` on Linux, `summary` on macOS,
 * `SentinelCtl.exe agent_id` on Windows): the first 32-hex-digit value, lower-case without dashes, else null.
 */
export function s1UuidFromSentinelctl(output: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    if (/error|not found|not running|denied/i.test(line)) continue;
    const m = UUID.exec(line);
    if (m) {
      const hex = m[1]!.replace(/-/g, '').toLowerCase();
      if (!/^0+$/.test(hex)) return hex;
    }
  }
  return null;
}
