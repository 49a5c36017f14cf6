/**
 * A seeded fleet of SentinelOne agents, realistic enough to exercise matching and posture: the same seed and
 * `now` always give the same agents. Shares of the awkward cases are fixed counts (rounded), not coin flips, so
 * small fleets still contain them and tests can rely on them:
 *
 * | share | case |
 * |---|---|
 * | 10% | Linux with `serialNumber: null` (cloud VMs); another 4% are Linux servers with serials |
 * | 3%  | placeholder serials ("To be filled by O.E.M.", "Default string", "0", …) |
 * | 2%  | duplicate serials: 1% pairs, the second agent an older install that went quiet |
 * | 5%  | infected (`activeThreats` > 0, `infected: true`) |
 * | 3%  | disabled (`operationalState` other than `na`) |
 * | 2%  | decommissioned |
 * | 10% | older-console booleans: `firewallEnabled`/`isUpToDate` as "True"/"False" |
 * | 4%  | inactive (last seen days ago) |
 */
import { formatS1TimestampMicros } from '../timestamps.ts';
import {
  AGENT_VERSIONS, CPUS, DISABLED_STATES, FIRST_NAMES, HARDWARE, INSTALLER, LAST_NAMES, LINUX_NO_SERIAL,
  LINUX_WITH_SERIAL, OS_RELEASES, PLACEHOLDER_SERIALS, WHITE_BOX, type HardwareProfile,
} from './generator-data.ts';
import { createRng, type Rng } from './rng.ts';

/** An agent exactly as the simulator serves it (S1's JSON). */
export type SimAgentRecord = Record<string, unknown> & { id: string };

export interface SimSite {
  id: string;
  name: string;
  accountId: string;
  accountName: string;
  groups: { id: string; name: string }[];
}

export interface GenerateAgentsOptions {
  count: number;
  seed?: number | string;
  /** The fleet's "now": every timestamp is before it. Default: the current time. */
  now?: Date | number | string;
}

export const SHARES = {
  linuxNoSerial: 0.1,
  linuxWithSerial: 0.04,
  placeholderSerial: 0.03,
  duplicatePairs: 0.01,
  infected: 0.05,
  disabled: 0.03,
  decommissioned: 0.02,
  stringBooleans: 0.1,
  inactive: 0.04,
} as const;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A unique S1-style ID: an 18 or 19 digit decimal string, at least 1e17. */
function idMaker(rng: Rng): () => string {
  const seen = new Set<string>();
  return () => {
    for (;;) {
      const length = rng.chance(0.2) ? 18 : 19;
      const id = String(rng.int(1, 9)) + rng.digits(length - 1);
      if (!seen.has(id)) {
        seen.add(id);
        return id;
      }
    }
  };
}

function makeSites(rng: Rng, newId: () => string): { site: SimSite; weight: number }[] {
  const accounts = [
    { id: newId(), name: 'Acme Corp', sites: [['Default site', 50], ['Engineering', 25], ['Sales EMEA', 15]] as const },
    { id: newId(), name: 'Acme Labs', sites: [['Research', 10]] as const },
  ];
  return accounts.flatMap((account) =>
    account.sites.map(([name, weight]) => ({
      weight,
      site: {
        id: newId(),
        name,
        accountId: account.id,
        accountName: account.name,
        groups: [
          { id: newId(), name: 'Default Group' },
          { id: newId(), name: name === 'Research' ? 'Lab machines' : 'Servers' },
        ],
      },
    })),
  );
}

/** The sites and accounts a seed produces (the same ones `generateAgents` assigns agents to). */
export function generateSites(seed: number | string = 1): SimSite[] {
  const rng = createRng(seed);
  return makeSites(rng, idMaker(rng)).map((s) => s.site);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function generateAgents(options: GenerateAgentsOptions): SimAgentRecord[] {
  const { count } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, not ${count}`);
  const rng = createRng(options.seed ?? 1);
  const newId = idMaker(rng);
  const sites = makeSites(rng, newId);
  const nowMs = new Date(options.now ?? Date.now()).getTime();
  const quota = (share: number) => Math.round(count * share);

  // Mutually exclusive hardware cases come from one shuffled order; the rest are independent draws.
  const order = rng.shuffle(range(count));
  let taken = 0;
  const take = (k: number) => order.slice(taken, (taken += k));
  const linuxNoSerial = new Set(take(quota(SHARES.linuxNoSerial)));
  const linuxWithSerial = new Set(take(quota(SHARES.linuxWithSerial)));
  const placeholder = new Set(take(quota(SHARES.placeholderSerial)));
  const pairIndexes = take(quota(SHARES.duplicatePairs) * 2);
  const pick = (share: number) => new Set(rng.shuffle(range(count)).slice(0, quota(share)));
  const infected = pick(SHARES.infected);
  const disabled = pick(SHARES.disabled);
  const decommissioned = pick(SHARES.decommissioned);
  const stringBooleans = pick(SHARES.stringBooleans);
  const inactive = pick(SHARES.inactive);

  const profiles: HardwareProfile[] = range(count).map((i) => {
    if (linuxNoSerial.has(i)) return rng.weighted(LINUX_NO_SERIAL.map((p) => [p, p.weight] as const));
    if (linuxWithSerial.has(i)) return rng.weighted(LINUX_WITH_SERIAL.map((p) => [p, p.weight] as const));
    if (placeholder.has(i)) return WHITE_BOX;
    return rng.weighted(HARDWARE.map((p) => [p, p.weight] as const));
  });
  const duplicateOf = new Map<number, number>();
  for (let p = 0; p + 1 < pairIndexes.length; p += 2) {
    const [a, b] = [pairIndexes[p] as number, pairIndexes[p + 1] as number];
    duplicateOf.set(b, a);
    profiles[b] = profiles[a] as HardwareProfile;
  }

  const agents = range(count).map((i) =>
    makeAgent(rng, newId, nowMs, rng.weighted(sites.map((s) => [s.site, s.weight] as const)), profiles[i] as HardwareProfile, {
      placeholder: placeholder.has(i),
      infected: infected.has(i),
      disabled: disabled.has(i),
      decommissioned: decommissioned.has(i),
      stringBooleans: stringBooleans.has(i),
      inactive: inactive.has(i),
    }),
  );

  // The second agent of a pair is the same machine's earlier install: same serial and name, quiet for days.
  for (const [b, a] of duplicateOf) {
    const original = agents[a] as SimAgentRecord;
    const older = agents[b] as SimAgentRecord;
    const lastSeen = Date.parse(String(original.lastActiveDate)) - rng.int(3, 90) * DAY - rng.int(0, DAY);
    Object.assign(older, {
      serialNumber: original.serialNumber,
      computerName: original.computerName,
      modelName: original.modelName,
      lastActiveDate: formatS1TimestampMicros(lastSeen * 1000 + rng.int(0, 999)),
      isActive: false,
      networkStatus: 'disconnected',
    });
  }
  return agents;
}

interface Traits {
  placeholder: boolean;
  infected: boolean;
  disabled: boolean;
  decommissioned: boolean;
  stringBooleans: boolean;
  inactive: boolean;
}

function makeAgent(rng: Rng, newId: () => string, nowMs: number, site: SimSite, hw: HardwareProfile, t: Traits): SimAgentRecord {
  const ts = (ms: number) => formatS1TimestampMicros(ms * 1000 + rng.int(0, 999));
  const os = hw.osType;
  const [osName, osRevision] = rng.pick(OS_RELEASES[hw.server && os === 'windows' ? 'windows-server' : os]);
  const user = `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}`;
  const modelName = rng.pick(hw.models);
  const serialNumber = t.placeholder ? rng.pick(PLACEHOLDER_SERIALS) : hw.serial ? hw.serial(rng) : null;
  const computerName = hw.server
    ? os === 'windows' ? `SRV-${site.name.slice(0, 3).toUpperCase()}-${rng.digits(3)}` : `ip-10-${rng.int(0, 255)}-${rng.int(0, 255)}-${rng.int(1, 254)}`
    : os === 'macos' ? `${user.split('.')[0]}s-${modelName.startsWith('MacBook Air') ? 'MacBook-Air' : modelName.startsWith('MacBook') ? 'MacBook-Pro' : 'Mac'}-${rng.int(1, 99)}`
      : os === 'windows' ? `${t.placeholder ? 'DESKTOP' : 'ACME'}-${rng.alnum(7)}` : `${user.split('.')[0]}-workstation`;
  const quiet = t.inactive || t.decommissioned;
  const createdMs = nowMs - rng.int(30, 900) * DAY - rng.int(0, DAY);
  const lastActiveMs = quiet ? nowMs - rng.int(2, 30) * DAY - rng.int(0, DAY) : nowMs - rng.int(0, 45 * MINUTE);
  const updatedMs = Math.max(createdMs + MINUTE, nowMs - rng.int(MINUTE, 20 * DAY));
  const versions = AGENT_VERSIONS[os];
  const agentVersion = versions[Math.min(versions.length - 1, Math.floor(rng.next() ** 2 * versions.length))] as string;
  const activeThreats = t.infected ? rng.int(1, 7) : 0;
  const threatRebootRequired = t.infected && rng.chance(0.3);
  const bool = (value: boolean) => (t.stringBooleans ? (value ? 'True' : 'False') : value);
  const ip = `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  const mac = Array.from({ length: 6 }, () => rng.hex(2)).join(':');
  const externalIp = `${rng.pick(['198.51.100', '203.0.113'])}.${rng.int(1, 254)}`;
  const group = hw.server ? (site.groups[1] ?? site.groups[0]) : site.groups[0];
  const cores = rng.pick([4, 8, 10, 12, 16]);
  const scanFinishedMs = Math.max(createdMs, lastActiveMs - rng.int(1, 20) * DAY);

  return {
    accountId: site.accountId,
    accountName: site.accountName,
    activeDirectory: {
      computerDistinguishedName: os === 'windows' && !hw.server ? `CN=${computerName},OU=Workstations,DC=acme,DC=corp` : null,
      computerMemberOf: [],
      lastUserDistinguishedName: null,
      lastUserMemberOf: [],
    },
    activeProtection: [],
    activeThreats,
    agentVersion,
    allowRemoteShell: false,
    appsVulnerabilityStatus: rng.weighted([['up_to_date', 6], ['patch_required', 3], ['not_applicable', 1]] as const),
    cloudProviders: {},
    computerName,
    consoleMigrationStatus: 'N/A',
    coreCount: cores,
    cpuCount: cores,
    cpuId: rng.pick(CPUS[os]),
    createdAt: ts(createdMs),
    decommissionedAt: t.decommissioned ? ts(Math.min(nowMs - MINUTE, lastActiveMs + rng.int(1, 3) * DAY)) : null,
    detectionState: null,
    domain: os === 'windows' ? (rng.chance(0.75) ? 'ACME' : 'WORKGROUP') : 'unknown',
    encryptedApplications: hw.server ? rng.chance(0.2) : rng.chance(0.9),
    externalId: '',
    externalIp,
    firewallEnabled: bool(rng.chance(0.92)),
    firstFullModeTime: null,
    groupId: group?.id ?? null,
    groupIp: `${externalIp.split('.').slice(0, 3).join('.')}.x`,
    groupName: group?.name ?? null,
    id: newId(),
    inRemoteShellSession: false,
    infected: t.infected,
    installerType: rng.pick(INSTALLER[os]),
    isActive: !quiet,
    isAdConnector: false,
    isDecommissioned: t.decommissioned,
    isPendingUninstall: false,
    isUninstalled: false,
    isUpToDate: bool(agentVersion === versions[0] || rng.chance(0.7)),
    lastActiveDate: ts(lastActiveMs),
    lastIpToMgmt: quiet ? null : ip,
    lastLoggedInUserName: hw.server ? '' : user,
    lastSuccessfulScanDate: ts(scanFinishedMs),
    licenseKey: '',
    locationEnabled: false,
    locationType: 'not_applicable',
    locations: null,
    machineType: hw.machineType,
    missingPermissions: os === 'macos' && rng.chance(0.05) ? ['user_action_needed_fda'] : [],
    mitigationMode: rng.chance(0.9) ? 'protect' : 'detect',
    mitigationModeSuspicious: 'detect',
    modelName,
    networkInterfaces: [
      { gatewayIp: ip.replace(/\.\d+$/, '.1'), gatewayMacAddress: null, id: newId(), inet: [ip], inet6: [`fe80::${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}`],
        name: os === 'windows' ? 'Ethernet' : os === 'macos' ? 'en0' : 'eth0', physical: mac },
    ],
    networkQuarantineEnabled: false,
    networkStatus: quiet ? 'disconnected' : rng.chance(0.97) ? 'connected' : 'connecting',
    operationalState: t.disabled ? rng.pick(DISABLED_STATES) : 'na',
    operationalStateExpiration: null,
    osArch: os === 'macos' && rng.chance(0.75) ? 'ARM64' : '64 bit',
    osName,
    osRevision,
    osStartTime: new Date(lastActiveMs - rng.int(1, 14) * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    osType: os,
    osUsername: null,
    rangerStatus: 'NotApplicable',
    rangerVersion: null,
    registeredAt: ts(createdMs - rng.int(1, 900)),
    remoteProfilingState: 'disabled',
    remoteProfilingStateExpiration: null,
    scanAbortedAt: null,
    scanFinishedAt: ts(scanFinishedMs),
    scanStartedAt: ts(scanFinishedMs - rng.int(5, 90) * MINUTE),
    scanStatus: 'finished',
    serialNumber,
    siteId: site.id,
    siteName: site.name,
    storageName: null,
    storageType: null,
    tags: { sentinelone: [] },
    threatRebootRequired,
    totalMemory: rng.pick([8192, 16384, 32768, 65536]),
    updatedAt: ts(updatedMs),
    userActionsNeeded: threatRebootRequired ? ['reboot_needed'] : [],
    uuid: rng.hex(32),
  };
}
