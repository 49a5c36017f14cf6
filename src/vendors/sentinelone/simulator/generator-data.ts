/**
 * Catalogues the fleet generator draws from: hardware profiles with serial-number formats that look like the
 * vendors' own, OS releases and agent versions. Enumerated values follow reference/s1-api.md §4.
 */
import type { Rng } from './rng.ts';

export type OsType = 'windows' | 'macos' | 'linux';

export interface HardwareProfile {
  osType: OsType;
  machineType: string;
  server: boolean;
  models: readonly string[];
  /** null: the machine reports no serial number (cloud VMs). */
  serial: ((rng: Rng) => string) | null;
  weight: number;
}

const NO_VOWELS = 'BCDFGHJKLMNPQRSTVWXYZ0123456789';
const NO_O_I = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

export const serials = {
  /** "C02XL0GJH7JY" */
  apple: (rng: Rng) => {
    const prefix = rng.pick(['C02', 'C07', 'FVF', 'G8W', 'DMP', 'C1M']);
    return prefix + rng.alnum(12 - prefix.length, NO_O_I);
  },
  /** "PF2ABCDE" */
  lenovo: (rng: Rng) => rng.pick(['PF', 'PF', 'R9', 'MP']) + rng.alnum(6),
  /** "5CG1234XYZ" */
  hp: (rng: Rng) => rng.pick(['5CG', '5CD', 'CND']) + rng.digits(4) + rng.alnum(3),
  /** Dell service tag: "7XK2PQ3" */
  dell: (rng: Rng) => rng.alnum(7, NO_VOWELS),
  /** "VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8" */
  vmware: (rng: Rng) => {
    const pairs = Array.from({ length: 16 }, () => rng.hex(2));
    return `VMware-${pairs.slice(0, 8).join(' ')}-${pairs.slice(8).join(' ')}`;
  },
};

export const PLACEHOLDER_SERIALS = [
  'To be filled by O.E.M.',
  'Default string',
  '0',
  'System Serial Number',
  'None',
  '123456789',
] as const;

/** Self-built and white-box Windows PCs, whose firmware leaves the serial at the board vendor's placeholder. */
export const WHITE_BOX: HardwareProfile = {
  osType: 'windows', machineType: 'desktop', server: false, weight: 1, serial: null,
  models: ['System Product Name', 'To be filled by O.E.M.', 'All Series', 'Default string'],
};

/** Machines with real serials. */
export const HARDWARE: readonly HardwareProfile[] = [
  { osType: 'macos', machineType: 'laptop', server: false, weight: 26, serial: serials.apple,
    models: ['MacBook Pro (14-inch, 2023)', 'MacBook Pro (16-inch, 2021)', 'MacBook Air (M2, 2022)', 'MacBook Air (15-inch, M3, 2024)'] },
  { osType: 'macos', machineType: 'desktop', server: false, weight: 3, serial: serials.apple,
    models: ['Mac mini (2023)', 'iMac (24-inch, M1, 2021)', 'Mac Studio (2022)'] },
  { osType: 'windows', machineType: 'laptop', server: false, weight: 20, serial: serials.lenovo,
    models: ['ThinkPad T14 Gen 3', 'ThinkPad X1 Carbon Gen 11', 'ThinkPad E15 Gen 4'] },
  { osType: 'windows', machineType: 'laptop', server: false, weight: 15, serial: serials.hp,
    models: ['HP EliteBook 840 G8 Notebook PC', 'HP ProBook 450 G9', 'HP ZBook Firefly 14 G9'] },
  { osType: 'windows', machineType: 'laptop', server: false, weight: 12, serial: serials.dell,
    models: ['Latitude 7420', 'Latitude 5540', 'XPS 13 9315'] },
  { osType: 'windows', machineType: 'desktop', server: false, weight: 8, serial: serials.dell,
    models: ['OptiPlex 7090', 'OptiPlex 5000', 'Precision 3660 Tower'] },
  { osType: 'windows', machineType: 'server', server: true, weight: 6, serial: serials.vmware,
    models: ['VMware Virtual Platform', 'VMware7,1'] },
  { osType: 'windows', machineType: 'server', server: true, weight: 2, serial: serials.dell,
    models: ['PowerEdge R650', 'PowerEdge R750'] },
];

/** Linux servers that do report a serial. */
export const LINUX_WITH_SERIAL: readonly HardwareProfile[] = [
  { osType: 'linux', machineType: 'server', server: true, weight: 2, serial: serials.dell, models: ['PowerEdge R740', 'PowerEdge R660'] },
  { osType: 'linux', machineType: 'server', server: true, weight: 2, serial: serials.vmware, models: ['VMware Virtual Platform'] },
];

/** Linux machines without a serial: cloud instances and plain VMs. */
export const LINUX_NO_SERIAL: readonly HardwareProfile[] = [
  { osType: 'linux', machineType: 'server', server: true, weight: 5, serial: null,
    models: ['Amazon EC2 - t3.medium', 'Amazon EC2 - m5.large', 'Amazon EC2 - c6i.xlarge'] },
  { osType: 'linux', machineType: 'server', server: true, weight: 2, serial: null, models: ['Google Compute Engine', 'Virtual Machine'] },
  { osType: 'linux', machineType: 'kubernetes node', server: true, weight: 2, serial: null, models: ['KVM', 'Standard PC (Q35 + ICH9, 2009)'] },
  { osType: 'linux', machineType: 'desktop', server: false, weight: 1, serial: null, models: ['Standard PC (i440FX + PIIX, 1996)'] },
];

export const OS_RELEASES: Record<OsType | 'windows-server', readonly [osName: string, osRevision: string][]> = {
  windows: [
    ['Windows 11 Enterprise', '22631'],
    ['Windows 11 Pro', '22621'],
    ['Windows 10 Enterprise', '19045'],
    ['Windows 10 Pro', '19045'],
  ],
  'windows-server': [
    ['Windows Server 2022 Datacenter', '20348'],
    ['Windows Server 2019 Standard', '17763'],
  ],
  macos: [
    ['macOS', '15.1 (24B83)'],
    ['macOS', '14.7.1 (23H222)'],
    ['macOS', '14.5 (23F79)'],
    ['macOS', '13.6.9 (22G830)'],
  ],
  linux: [
    ['Linux', 'Ubuntu 22.04.4 LTS 5.15.0-105-generic'],
    ['Linux', 'Ubuntu 24.04.1 LTS 6.8.0-45-generic'],
    ['Linux', 'Red Hat Enterprise Linux 9.4 5.14.0-427.13.1.el9_4.x86_64'],
    ['Linux', 'Amazon Linux 2023 6.1.109-118.189.amzn2023.x86_64'],
    ['Linux', 'Debian GNU/Linux 12 6.1.0-25-amd64'],
  ],
};

/** Newest first; the generator favours recent versions. */
export const AGENT_VERSIONS: Record<OsType, readonly string[]> = {
  windows: ['24.1.5.277', '24.1.4.257', '23.4.2.14', '23.3.3.264', '23.2.3.358', '22.3.5.887'],
  macos: ['24.2.2.7632', '24.1.2.7444', '23.4.1.7125', '23.3.2.7018'],
  linux: ['24.2.2.20', '24.1.2.6', '23.4.2.14', '23.3.2.12'],
};

export const INSTALLER: Record<OsType, readonly string[]> = {
  windows: ['.msi', '.exe'],
  macos: ['.pkg'],
  linux: ['.deb', '.rpm'],
};

export const DISABLED_STATES = [
  'partially_disabled',
  'auto_partially_disabled',
  'fully_disabled',
  'auto_fully_disabled',
  'disabled_error',
  'db_corruption',
] as const;

export const FIRST_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory',
  'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yasmin', 'zoe', 'amir', 'chen', 'fatima'];
export const LAST_NAMES = ['martin', 'nguyen', 'smith', 'garcia', 'mueller', 'rossi', 'kowalski', 'tanaka', 'okafor',
  'johansson', 'dubois', 'silva', 'khan', 'novak', 'larsen', 'moreau'];

export const CPUS: Record<OsType, readonly string[]> = {
  windows: ['Intel(R) Core(TM) i7-1265U', 'Intel(R) Core(TM) i5-1345U', 'AMD Ryzen 7 PRO 6850U with Radeon Graphics',
    'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz'],
  macos: ['Apple M2', 'Apple M2 Pro', 'Apple M3', 'Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz'],
  linux: ['Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz', 'AMD EPYC 7R13 Processor', 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz'],
};
