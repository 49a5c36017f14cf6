/**
 * The demo's world, shared by `postern demo` and its tests: postern, an in-process SentinelOne simulator whose fleet
 * keeps living (agents report, and a storyline plays: a threat comes and goes, an agent goes silent and comes back,
 * one is decommissioned and reinstalled), a CrowdStrike Falcon simulator covering some of the same devices and two
 * of its own (`demo-falcon.ts`), a Tailscale simulator, and the seeded integrations, tailnet, devices and policy. Everything runs on one clock: the real one, a faster one (`--speed N`), or a test's fake one.
 */
import type { Config } from '../../config/index.ts';
import type { DeviceInput } from '../../devices/index.ts';
import { DESIGN_EXAMPLE_POLICY } from '../../policy/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { createPostern, type Postern } from '../../main.ts';
import { startFleetLife, startS1Simulator, type FleetLife, type S1Simulator, type SimAgentRecord, type StoryCast, type StoryStep } from '../../vendors/index.ts';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../tailnet/index.ts';
import { DEMO_FALCON_INTEGRATION, FALCON_ONLY_DEVICES, startFalconSide, type FalconSide } from './demo-falcon.ts';

export const DEMO_INTEGRATION = 'Demo SentinelOne (simulator)';
export const DEMO_TAILNET = 'Demo tailnet (simulator)';
const DEMO_TAILNET_NODES = 8;
/** What the demo tailnet exports back to Tailscale as custom:s1Verified, custom:s1ActiveThreats, custom:s1OperationalState. */
const DEMO_EXPORT = ['sentinelOne:verified', 'sentinelOne:activeThreats', 'sentinelOne:operationalState'];
const DEMO_SEED = 7;
const DEMO_AGENTS = 60;
const by = { actor: 'demo', requestId: null };

const versionAtLeast = (v: unknown, min: number[]) => {
  const parts = String(v).split('.').map(Number);
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i]!;
  return true;
};

/** An agent that is online and healthy by the example policy (state na, no threat, agent 23.4.2 or later). */
const healthyOnline = (a: SimAgentRecord) =>
  a.infected === false &&
  a.operationalState === 'na' &&
  a.isDecommissioned === false &&
  a.isActive === true &&
  a.threatRebootRequired !== true &&
  versionAtLeast(a.agentVersion, [23, 4, 2]);

const withSerial = (agents: readonly SimAgentRecord[]) =>
  agents.filter((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(a.serialNumber as string) && a.machineType !== 'server');

/** The user an agent's machine belongs to: its last logged-in user (first.last), at example.com. */
const ownerOf = (a: SimAgentRecord): string | null => {
  const user = typeof a.lastLoggedInUserName === 'string' ? a.lastLoggedInUserName.trim().toLowerCase() : '';
  return /^[a-z]+\.[a-z]+$/.test(user) ? `${user}@example.com` : null;
};

/** The storyline's cast and the healthy laptop: four healthy, online laptops of the fleet. */
export function demoCast(agents: readonly SimAgentRecord[]): { healthy: SimAgentRecord; cast: StoryCast; castAgents: SimAgentRecord[] } {
  const healthy = withSerial(agents).filter((a) => healthyOnline(a) && ownerOf(a) !== null);
  if (healthy.length < 4) throw new Error('the demo fleet needs four healthy laptops');
  const [first, threat, silent, decommissioned] = healthy as [SimAgentRecord, SimAgentRecord, SimAgentRecord, SimAgentRecord];
  return { healthy: first, cast: { threat: threat.id, silent: silent.id, decommissioned: decommissioned.id }, castAgents: [first, threat, silent, decommissioned] };
}

/**
 * Demo devices mirroring simulator agents: the healthy laptop (tag:production), the storyline's three laptops, an
 * infected and a disabled one, each named as its agent and owned by its agent's user; plus a CI runner without a
 * serial and a new laptop S1 does not know yet.
 */
export function demoDevices(agents: readonly SimAgentRecord[]): DeviceInput[] {
  const { castAgents } = demoCast(agents);
  const candidates = withSerial(agents).filter((a) => ownerOf(a) !== null && !castAgents.includes(a));
  const infected = candidates.find((a) => a.infected === true);
  const disabled = candidates.find((a) => a.operationalState !== 'na' && a.infected === false);
  const fromAgent = (a: SimAgentRecord, i: number): DeviceInput => ({
    name: String(a.computerName ?? `device-${i}`),
    os: a.osType === 'windows' ? 'windows' : a.osType === 'linux' ? 'linux' : 'macos',
    osVersion: typeof a.osRevision === 'string' ? a.osRevision : null,
    serialNumbers: [String(a.serialNumber)],
    addresses: [`100.64.0.${10 + i}`],
    user: ownerOf(a),
    tags: i === 0 ? ['tag:production', 'tag:laptop'] : ['tag:laptop'],
  });
  const picked = [...castAgents, ...(infected ? [infected] : []), ...(disabled ? [disabled] : [])];
  return [
    ...picked.map(fromAgent),
    { name: 'build-runner-linux', os: 'linux', serialNumbers: [], addresses: ['100.64.0.40'], tags: ['tag:ci'] },
    { name: 'frank-new-laptop', os: 'macos', serialNumbers: ['C02NOTINS1XX'], addresses: ['100.64.0.41'], user: 'frank.new@example.com', tags: ['tag:laptop'] },
  ];
}

/** Serials for the demo tailnet's nodes: SentinelOne agents no demo device uses, so the nodes import as new devices. */
export function tailnetSerials(agents: readonly SimAgentRecord[], used: readonly string[]): string[] {
  const taken = new Set(used);
  return agents
    .map((a) => a.serialNumber)
    .filter((s): s is string => typeof s === 'string' && /^[A-Z0-9]{8,}$/.test(s) && !taken.has(s))
    .slice(0, DEMO_TAILNET_NODES);
}

/**
 * The demo tailnet's nodes as the machines their serials belong to: a node carrying an agent's serial is that
 * machine (its name, OS and owner), so the console never shows "carol-iphone" matched to Dave's MacBook.
 */
export function alignTailnetNodes(tailnetSim: TailscaleSimulator, agents: readonly SimAgentRecord[]): void {
  const bySerial = new Map(agents.map((a) => [String(a.serialNumber), a]));
  const OS: Record<string, string> = { macos: 'macOS', windows: 'windows', linux: 'linux' };
  for (const node of tailnetSim.state.nodes.values()) {
    const agent = node.serialNumbers?.[0] ? bySerial.get(node.serialNumbers[0]) : undefined;
    if (!agent) continue;
    const hostname = String(agent.computerName).toLowerCase();
    const domain = node.name.slice(node.name.indexOf('.') + 1);
    node.hostname = hostname;
    node.name = `${hostname}.${domain}`;
    node.os = OS[String(agent.osType)] ?? node.os;
    const owner = ownerOf(agent);
    if (owner) {
      node.user = owner;
      node.tags = [];
    } else {
      node.tags = ['tag:server', 'tag:production'];
    }
  }
}

/** A clock `speed` times faster than the real one, starting now: timestamps, timers and sleeps all scale. */
export function fasterClock(speed: number, realNow: () => number = Date.now): Clock {
  const realStart = realNow();
  const nowMs = () => realStart + (realNow() - realStart) * speed;
  return {
    nowMs,
    now: () => new Date(nowMs()),
    setTimer(ms, fn): TimerHandle {
      const t = setTimeout(fn, Math.max(0, ms) / speed);
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    },
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const t = setTimeout(resolve, Math.max(0, ms) / speed);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      });
    },
  };
}

export interface Demo {
  postern: Postern;
  sim: S1Simulator;
  falcon: FalconSide;
  tailnetSim: TailscaleSimulator;
  life: FleetLife;
  url: string;
  /** The simulator agent behind the healthy laptop, and the storyline's cast. */
  healthyAgentId: string;
  cast: StoryCast;
  close(): Promise<void>;
}

export interface StartDemoOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  onStep?: (step: StoryStep, agentId: string, atMs: number) => void;
}

/** Starts the whole demo and seeds it; re-running on the same database reuses its devices and points the sources at the new simulators. */
export async function startDemo(o: StartDemoOptions): Promise<Demo> {
  const clock = o.clock;
  const sim = await startS1Simulator({ agentCount: DEMO_AGENTS, seed: DEMO_SEED, tokens: [{ role: 'Admin', expiresAt: null }], ...(clock ? { clock } : {}) });
  const agents = sim.state.listAgents();
  const { healthy, cast, castAgents } = demoCast(agents);
  const demoSerials = demoDevices(agents).flatMap((d) => d.serialNumbers ?? []);
  const tailnetSim = await startTailscaleSimulator({ nodeCount: DEMO_TAILNET_NODES, seed: DEMO_SEED, serials: tailnetSerials(agents, demoSerials) });
  alignTailnetNodes(tailnetSim, agents);
  // Falcon covers the healthy laptop and the threat laptop too (both vendors), and two laptops of its own.
  const covered = [
    ...castAgents.slice(0, 2).map((a) => ({ name: String(a.computerName), serial: String(a.serialNumber) })),
    ...FALCON_ONLY_DEVICES.map((d) => ({ name: d.name, serial: d.serialNumbers![0]! })),
  ];
  const falcon = await startFalconSide(covered, clock ?? systemClock);
  // A full sync every 10 minutes (not daily): agents that leave the 60-agent fleet are seen within minutes.
  const postern = await createPostern({ config: o.config, sync: { fullSyncEveryMs: 10 * 60_000 }, ...(clock ? { clock } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  // The fleet lives from now on: heartbeats and the storyline, on the demo's clock.
  const life = startFleetLife({ state: sim.state, clock: clock ?? systemClock, cast, ...(o.onStep ? { onStep: o.onStep } : {}) });
  const url = await postern.listen();
  await seed(postern, sim);
  await seedFalcon(postern, falcon);
  await seedTailnet(postern, tailnetSim);
  return {
    postern,
    sim,
    falcon,
    tailnetSim,
    life,
    url,
    healthyAgentId: healthy.id,
    cast,
    async close() {
      life.stop();
      await postern.close();
      falcon.stop();
      await sim.close();
      await falcon.sim.close();
      await tailnetSim.close();
    },
  };
}

/** The Falcon-only laptops (once) and the Falcon integration, pointed at this run's simulator. */
async function seedFalcon(postern: Postern, falcon: FalconSide): Promise<void> {
  const { devices, integrations } = postern.services;
  for (const device of FALCON_ONLY_DEVICES) {
    const found = await devices.list(1, null, { search: device.serialNumbers![0]! });
    if (found.data.length === 0) await devices.create(device, by);
  }
  const demo = (await integrations.list()).find((i) => i.name === DEMO_FALCON_INTEGRATION);
  const { provider: _provider, ...fields } = falcon.fields;
  if (demo) await integrations.update(demo.id, fields, by, { wait: true });
  else await integrations.create({ name: DEMO_FALCON_INTEGRATION, ...falcon.fields, pollIntervalSeconds: 60 }, by, { wait: true });
}

/** The demo tailnet: nodes imported as devices, matched to the EDR vendors, posture exported back. */
async function seedTailnet(postern: Postern, tailnetSim: TailscaleSimulator): Promise<void> {
  const { tailnets, integrations } = postern.services;
  const existing = (await tailnets.list()).find((t) => t.name === DEMO_TAILNET);
  const config = { baseUrl: tailnetSim.url, apiKey: tailnetSim.apiKey };
  const tailnet = existing
    ? await tailnets.update(existing.id, config, by, { wait: true })
    : await tailnets.create({ name: DEMO_TAILNET, tailnet: '-', ...config, pollIntervalSeconds: 60, export: { attributes: DEMO_EXPORT, expirySeconds: 3600 } }, by, { wait: true });
  // The imported devices match the EDR vendors at each integration's next sync; run them now, then export the result.
  for (const i of await integrations.list()) await integrations.syncNow(i.id, { wait: true });
  await tailnets.syncNow(tailnet.id, { wait: true });
}

async function seed(postern: Postern, sim: S1Simulator): Promise<void> {
  const { devices, integrations } = postern.services;
  const existing = await devices.list(1, null);
  if (existing.data.length === 0) {
    for (const device of demoDevices(sim.state.listAgents())) await devices.create(device, by);
  }
  if ((await postern.services.policy.current()).version === 0) await postern.services.policy.apply(DESIGN_EXAMPLE_POLICY, by);
  const demo = (await integrations.list()).find((i) => i.name === DEMO_INTEGRATION);
  if (demo) {
    await integrations.update(demo.id, { baseUrl: sim.url, apiToken: sim.token }, by, { wait: true });
  } else {
    await integrations.create({ name: DEMO_INTEGRATION, baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 60 }, by, { wait: true });
  }
}
