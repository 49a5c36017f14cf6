/**
 * A seeded Falcon fleet: hosts with the fields and value shapes captured from real replies (32-hex AIDs, MACs
 * like `42-01-0a-80-00-15`, `last_seen` like `2021-08-23T04:59:48Z`, `status` `normal`/`contained`, RFM
 * `yes`/`no`) and their Zero Trust Assessments. The same seed gives the same fleet on every machine. A share of
 * the fleet is unhealthy or awkward on purpose (contained, RFM, silent, no serial, placeholder serial, no ZTA
 * result yet), so the demo and tests see every reason code.
 */

/** A host as the simulator serves it: Falcon's own field names. */
export interface SimHost {
  device_id: string;
  cid: string;
  hostname: string;
  serial_number?: string;
  mac_address?: string;
  platform_name: 'Windows' | 'Mac' | 'Linux';
  os_version: string;
  product_type_desc: string;
  agent_version: string;
  first_seen: string;
  last_seen: string;
  status: string;
  reduced_functionality_mode: string;
  host_hidden_status?: string;
}

/** A ZTA resource as served; `assessment` is `{}` when Falcon has no result yet. */
export interface SimAssessment {
  aid: string;
  cid: string;
  event_platform: string;
  product_type_desc: string;
  modified_time: string;
  sensor_file_status: string;
  system_serial_number: string;
  assessment: { overall?: number; os?: number; sensor_config?: number; version?: string };
  assessment_items: { os_signals: unknown[]; sensor_signals: unknown[] };
}

export interface GenerateHostsOptions {
  count: number;
  seed?: number | string;
  /** Fleet time: `last_seen` values are spread before it. */
  nowMs: number;
  /** Serials to give the first hosts, in order (to line the fleet up with devices or another vendor's fleet). */
  serials?: readonly string[];
}

export interface Rng {
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  hex(n: number): string;
  alnum(n: number): string;
}

/** mulberry32 over an FNV-1a hash of the seed. Not for anything secret. */
export function createRng(seed: number | string): Rng {
  let h = 0x811c9dc5;
  for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  let state = h >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const from = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join('');
  return { next, int, chance: (p) => next() < p, hex: (n) => from(n, '0123456789abcdef'), alnum: (n) => from(n, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789') };
}

export const PLACEHOLDER_SERIALS = ['To be filled by O.E.M.', 'Default string', '0', 'None', 'System Serial Number'] as const;

const OS: Record<SimHost['platform_name'], readonly string[]> = {
  Windows: ['Windows 11', 'Windows 10', 'Windows Server 2022', 'Windows Server 2019'],
  Mac: ['Sonoma (14)', 'Sequoia (15)', 'Ventura (13)'],
  Linux: ['Ubuntu 22.04', 'RHEL 9.3', 'Debian 12'],
};
const AGENT_VERSIONS = ['7.18.18413.0', '7.17.18209.0', '7.16.18002.0', '7.10.17005.0', '6.26.14003.0'];
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One host and (usually) its assessment. `i` makes names and fallback serials unique. */
function generateOne(rng: Rng, i: number, nowMs: number, cid: string, serial: string | undefined): { host: SimHost; assessment: SimAssessment | null } {
  const roll = rng.next();
  const platform: SimHost['platform_name'] = roll < 0.55 ? 'Windows' : roll < 0.85 ? 'Mac' : 'Linux';
  const deviceId = rng.hex(32);
  const server = platform !== 'Mac' && rng.chance(0.15);
  let serialNumber = serial;
  if (serialNumber === undefined) {
    if (platform === 'Linux' && rng.chance(0.4)) serialNumber = undefined;
    else if (rng.chance(0.02)) serialNumber = PLACEHOLDER_SERIALS[rng.int(0, PLACEHOLDER_SERIALS.length - 1)];
    else serialNumber = platform === 'Mac' ? `C02${rng.alnum(9)}` : `PF${rng.alnum(6)}${String(i % 1000).padStart(3, '0')}`;
  }
  const silent = rng.chance(0.06);
  const lastSeen = nowMs - (silent ? rng.int(2, 40) * 86_400_000 : rng.int(5, 2400) * 1000);
  const statusRoll = rng.next();
  const status = statusRoll < 0.02 ? 'contained' : statusRoll < 0.03 ? 'containment_pending' : 'normal';
  const mac = Array.from({ length: 6 }, (_, k) => (k === 0 ? (rng.int(0, 63) * 4).toString(16).padStart(2, '0') : rng.hex(2))).join('-');
  const product = server ? 'Server' : 'Workstation';
  const host: SimHost = {
    device_id: deviceId,
    cid,
    hostname: `${platform === 'Mac' ? 'mac' : platform === 'Linux' ? 'lnx' : 'win'}-${String(i).padStart(6, '0')}`,
    ...(serialNumber === undefined ? {} : { serial_number: serialNumber }),
    ...(rng.chance(0.97) ? { mac_address: mac } : {}),
    platform_name: platform,
    os_version: OS[platform][rng.int(0, OS[platform].length - 1)] as string,
    product_type_desc: product,
    agent_version: AGENT_VERSIONS[Math.min(AGENT_VERSIONS.length - 1, Math.floor(rng.next() ** 2 * AGENT_VERSIONS.length))] as string,
    first_seen: iso(lastSeen - rng.int(30, 900) * 86_400_000),
    last_seen: iso(lastSeen),
    status,
    reduced_functionality_mode: rng.chance(0.03) ? 'yes' : 'no',
  };
  if (rng.chance(0.05)) return { host, assessment: null };
  const scored = rng.chance(0.97);
  const os = rng.int(35, 100);
  const sensor = rng.int(40, 100);
  const assessment: SimAssessment = {
    aid: deviceId,
    cid,
    event_platform: platform === 'Mac' ? 'Mac' : platform === 'Linux' ? 'Lin' : 'Win',
    product_type_desc: product,
    modified_time: iso(nowMs - rng.int(60, 86_400) * 1000),
    sensor_file_status: 'confirmed',
    system_serial_number: serialNumber ?? '',
    assessment: scored ? { overall: Math.round((os + sensor) / 2), os, sensor_config: sensor, version: '2.1.0' } : {},
    assessment_items: { os_signals: [], sensor_signals: [] },
  };
  return { host, assessment };
}

/** The fleet, sorted by `device_id` (the order the scroll serves). */
export function generateHosts(options: GenerateHostsOptions): { hosts: SimHost[]; assessments: SimAssessment[] } {
  const rng = createRng(options.seed ?? 1);
  const cid = rng.hex(32);
  const hosts: SimHost[] = [];
  const assessments: SimAssessment[] = [];
  for (let i = 0; i < options.count; i++) {
    const { host, assessment } = generateOne(rng, i, options.nowMs, cid, options.serials?.[i]);
    hosts.push(host);
    if (assessment) assessments.push(assessment);
  }
  hosts.sort((a, b) => (a.device_id < b.device_id ? -1 : 1));
  return { hosts, assessments };
}
