/**
 * A generated, seeded policy workload written twice: as a postern policy and as the same rules in Cedar, with
 * devices shaped both ways (a postern subject and a Cedar entity). Used by bench/policy-decisions.ts.
 *
 * Cedar has no version or instant type, so versions (a.b.c with parts < 1000) become a*1e6+b*1e3+c and
 * instants become epoch seconds; for the versions generated here that ordering is the same as postern's.
 * A stale attribute is left out of the Cedar entity: postern fails every condition on stale data, and the
 * generated postures use no NOT SET, so "absent" is equivalent.
 */
import type { PolicySubject } from '../../src/policy/index.ts';

export interface CedarEntity {
  uid: { type: string; id: string };
  attrs: Record<string, unknown>;
  /** The groups of the device's user, so Cedar policies can say `principal in Group::"sre"`. */
  parents: Array<{ type: string; id: string }>;
}

export interface BenchDevice {
  id: string;
  subject: PolicySubject;
  entity: CedarEntity;
}

export interface Workload {
  posternPolicy: string;
  cedarPolicy: string;
  devices: BenchDevice[];
  destinations: string[];
  /** Pairs of [device index, destination index]. */
  samples: Array<[number, number]>;
}

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Condition {
  postern: string;
  cedar: string;
}

const has = (k: string) => `principal has "${k}"`;
const get = (k: string) => `principal["${k}"]`;
const versionNumber = (v: string) => v.split('.').reduce((n, part) => n * 1000 + Number(part), 0);
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const NOW = Date.parse('2026-02-01T00:00:00Z');

const BOOLEANS = [
  ['sentinelOne:encryptedApplications', true],
  ['sentinelOne:firewallEnabled', true],
  ['sentinelOne:infected', false],
  ['sentinelOne:isActive', true],
  ['sentinelOne:isDecommissioned', false],
  ['sentinelOne:threatRebootRequired', false],
  ['sentinelOne:verified', true],
] as const;

export function generateWorkload(seed = 42, sizes = { grants: 50, postures: 20, devices: 10_000, samples: 20_000 }): Workload {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number) => r() < p;

  const version = () => `${22 + int(3)}.${int(10)}.${int(21)}`;
  const templates: Array<() => Condition> = [
    () => pick([
      { postern: "sentinelOne:operationalState == 'na'", cedar: `${has('sentinelOne:operationalState')} && ${get('sentinelOne:operationalState')} == "na"` },
      { postern: "sentinelOne:operationalState IN ('na', 'partially_disabled')", cedar: `${has('sentinelOne:operationalState')} && ["na", "partially_disabled"].contains(${get('sentinelOne:operationalState')})` },
      { postern: "sentinelOne:operationalState NOT IN ('fully_disabled', 'disabled_error')", cedar: `${has('sentinelOne:operationalState')} && !["fully_disabled", "disabled_error"].contains(${get('sentinelOne:operationalState')})` },
    ]),
    () => {
      const n = int(3);
      return pick([
        { postern: 'sentinelOne:activeThreats == 0', cedar: `${has('sentinelOne:activeThreats')} && ${get('sentinelOne:activeThreats')} == 0` },
        { postern: `sentinelOne:activeThreats <= ${n}`, cedar: `${has('sentinelOne:activeThreats')} && ${get('sentinelOne:activeThreats')} <= ${n}` },
      ]);
    },
    () => {
      const v = `${22 + int(2)}.${int(10)}.${int(21)}`;
      const op = pick(['>=', '>']);
      return { postern: `sentinelOne:agentVersion ${op} '${v}'`, cedar: `${has('sentinelOne:agentVersion')} && ${get('sentinelOne:agentVersion')} ${op} ${versionNumber(v)}` };
    },
    () => {
      const [k, good] = pick(BOOLEANS);
      return pick([
        { postern: `${k} == ${good}`, cedar: `${has(k)} && ${get(k)} == ${good}` },
        { postern: `${k} != ${!good}`, cedar: `${has(k)} && ${get(k)} != ${!good}` },
        ...(good ? [{ postern: k, cedar: `${has(k)} && ${get(k)} == true` }] : []),
      ]);
    },
    () => pick([
      { postern: "sentinelOne:networkStatus == 'connected'", cedar: `${has('sentinelOne:networkStatus')} && ${get('sentinelOne:networkStatus')} == "connected"` },
      { postern: "sentinelOne:networkStatus IN ('connected', 'connecting')", cedar: `${has('sentinelOne:networkStatus')} && ["connected", "connecting"].contains(${get('sentinelOne:networkStatus')})` },
    ]),
    () => {
      const iso = new Date(NOW - (1 + int(48)) * 3_600_000).toISOString();
      return { postern: `sentinelOne:lastActiveAt > '${iso}'`, cedar: `${has('sentinelOne:lastActiveAt')} && ${get('sentinelOne:lastActiveAt')} > ${epochSeconds(iso)}` };
    },
    () => pick([
      { postern: "node:os IN ('macos', 'windows')", cedar: `${has('node:os')} && ["macos", "windows"].contains(${get('node:os')})` },
      { postern: "node:os != 'linux'", cedar: `${has('node:os')} && ${get('node:os')} != "linux"` },
      { postern: 'sentinelOne:agentVersion IS SET', cedar: has('sentinelOne:agentVersion') },
    ]),
  ];

  // Postures: 2-4 conditions from distinct templates.
  const postures: Array<{ name: string; conditions: Condition[] }> = [];
  for (let p = 0; p < sizes.postures; p++) {
    const chosen = new Set<number>();
    const n = 2 + int(3);
    while (chosen.size < n) chosen.add(int(templates.length));
    postures.push({ name: `posture:p${p}`, conditions: [...chosen].map((i) => (templates[i] as () => Condition)()) });
  }

  const users = Array.from({ length: 200 }, (_, i) => `u${i}@example.com`);
  const groups = Array.from({ length: 10 }, (_, g) => ({ name: `group:g${g}`, members: users.slice(g * 20, g * 20 + 20) }));
  const srcTags = Array.from({ length: 20 }, (_, i) => `tag:t${i}`);
  const dstTags = Array.from({ length: 30 }, (_, i) => `tag:d${i}`);
  const hosts = Array.from({ length: 10 }, (_, i) => `app${i}.example.com`);

  const grants: Array<{ src: string[]; dst: string[]; srcPosture?: string[] }> = [];
  for (let g = 0; g < sizes.grants; g++) {
    const src = new Set<string>();
    const nSrc = 1 + int(2);
    while (src.size < nSrc) {
      const k = r();
      src.add(k < 0.4 ? 'autogroup:member' : k < 0.65 ? pick(groups).name : k < 0.9 ? pick(srcTags) : k < 0.98 ? pick(users) : '*');
    }
    const dst = new Set<string>();
    const nDst = 1 + int(3);
    while (dst.size < nDst) dst.add(g === 7 && dst.size === 0 ? '*' : chance(0.8) ? pick(dstTags) : pick(hosts));
    const grant: { src: string[]; dst: string[]; srcPosture?: string[] } = { src: [...src], dst: [...dst] };
    if (chance(0.6)) grant.srcPosture = [...new Set([pick(postures).name, pick(postures).name])].slice(0, 1 + int(2));
    grants.push(grant);
  }
  const defaultSrcPosture = ['posture:p0'];

  const posternPolicy = JSON.stringify(
    {
      groups: Object.fromEntries(groups.map((g) => [g.name, g.members])),
      postures: Object.fromEntries(postures.map((p) => [p.name, p.conditions.map((c) => c.postern)])),
      defaultSrcPosture,
      grants,
    },
    null,
    2,
  );

  const byName = new Map(postures.map((p) => [p.name, p]));
  const cedarSrc = (s: string): string => {
    if (s === '*') return 'true';
    if (s === 'autogroup:member') return 'principal has user';
    if (s.startsWith('tag:')) return `principal.tags.contains("${s}")`;
    if (s.startsWith('group:')) return `principal in Group::${JSON.stringify(s.slice(6))}`;
    return `(principal has user && principal.user == "${s}")`;
  };
  // One Cedar policy per (grant, dst), so the destination is in the scope, where Cedar checks it first.
  const cedarPolicy = grants
    .flatMap((g, i) => {
      const src = g.src.map(cedarSrc).join(' || ');
      const names = g.srcPosture ?? defaultSrcPosture;
      const posture = names.map((n) => `(${(byName.get(n) as { conditions: Condition[] }).conditions.map((c) => `(${c.cedar})`).join(' && ')})`).join(' || ');
      const scopes = g.dst.includes('*') ? ['resource is Dest'] : g.dst.map((d) => `resource == Dest::${JSON.stringify(d)}`);
      return scopes.map(
        (scope, k) => `@id("grant${i}.${k}")\npermit (principal is Device, action == Action::"connect", ${scope})\nwhen { (${src}) && (${posture}) };`,
      );
    })
    .join('\n\n');

  const devices: BenchDevice[] = [];
  for (let d = 0; d < sizes.devices; d++) {
    const id = `dev_${d}`;
    const user = chance(0.85) ? pick(users) : null;
    const tags = [...new Set(Array.from({ length: user ? (chance(0.2) ? 1 : 0) : 1 + int(2) }, () => pick(srcTags)))];
    const values: Record<string, string | number | boolean> = {
      'sentinelOne:operationalState': chance(0.85) ? 'na' : pick(['partially_disabled', 'fully_disabled', 'disabled_error']),
      'sentinelOne:activeThreats': chance(0.8) ? 0 : 1 + int(5),
      'sentinelOne:agentVersion': version(),
      'sentinelOne:networkStatus': chance(0.85) ? 'connected' : pick(['disconnected', 'connecting']),
      'sentinelOne:lastActiveAt': new Date(NOW - int(72) * 3_600_000).toISOString(),
      'node:os': pick(['macos', 'windows', 'linux']),
    };
    for (const [k, good] of BOOLEANS) values[k] = chance(0.9) ? good : !good;
    const attributes: PolicySubject['attributes'] = {};
    const cedarAttrs: Record<string, unknown> = { tags };
    if (user) cedarAttrs['user'] = user;
    for (const [k, v] of Object.entries(values)) {
      if (chance(0.03)) continue; // missing
      const stale = chance(0.01);
      (attributes as Record<string, { value: string | number | boolean; stale?: boolean }>)[k] = stale ? { value: v, stale } : { value: v };
      if (stale) continue;
      cedarAttrs[k] = k === 'sentinelOne:agentVersion' ? versionNumber(v as string) : k === 'sentinelOne:lastActiveAt' ? epochSeconds(v as string) : v;
    }
    devices.push({
      id,
      subject: { deviceId: id, user, tags, attributes },
      entity: {
        uid: { type: 'Device', id },
        attrs: cedarAttrs,
        parents: groups.filter((g) => user !== null && g.members.includes(user)).map((g) => ({ type: 'Group', id: g.name.slice(6) })),
      },
    });
  }

  const destinations = [...dstTags, ...hosts];
  const samples: Array<[number, number]> = Array.from({ length: sizes.samples }, () => [int(devices.length), int(destinations.length)]);
  return { posternPolicy, cedarPolicy, devices, destinations, samples };
}
