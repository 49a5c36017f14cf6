/**
 * The demo's data agrees with itself: each demo device is named as its SentinelOne agent and owned by that agent's
 * user; the demo tailnet's nodes are named, and a node carrying an agent's serial is that machine (name, OS, owner).
 * `--speed` is checked, and the faster clock scales time and timers alike.
 */
import { describe, expect, it } from 'vitest';
import { generateAgents } from '../../vendors/sentinelone/index.ts';
import { startTailscaleSimulator } from '../../tailnet/index.ts';
import { parseSpeed } from './demo.ts';
import { alignTailnetNodes, demoCast, demoDevices, fasterClock, tailnetSerials } from './demo-world.ts';

const agents = generateAgents({ count: 60, seed: 7, now: Date.parse('2026-05-04T09:00:00Z') });

describe('demo data', () => {
  it('each device mirroring an agent carries its name, serial and its user as owner', () => {
    const devices = demoDevices(agents);
    const mirrored = devices.filter((d) => agents.some((a) => a.serialNumber === d.serialNumbers?.[0]));
    expect(mirrored.length).toBe(6);
    for (const device of mirrored) {
      const agent = agents.find((a) => a.serialNumber === device.serialNumbers?.[0])!;
      expect(device.name).toBe(agent.computerName);
      expect(device.user).toBe(`${String(agent.lastLoggedInUserName).toLowerCase()}@example.com`);
    }
    // Only the healthy laptop reaches production.
    expect(devices.filter((d) => d.tags?.includes('tag:production')).map((d) => d.serialNumbers?.[0])).toEqual([demoCast(agents).healthy.serialNumber]);
  });

  it('the tailnet nodes are named, and a node with an agent serial is that machine', async () => {
    const used = demoDevices(agents).flatMap((d) => d.serialNumbers ?? []);
    const sim = await startTailscaleSimulator({ nodeCount: 8, seed: 7, serials: tailnetSerials(agents, used) });
    try {
      alignTailnetNodes(sim, agents);
      for (const node of sim.state.nodes.values()) {
        expect(node.name).toMatch(/^[a-z0-9-]+\.[a-z0-9.-]+$/);
        expect(node.hostname).toBe(node.name.split('.')[0]);
        const agent = agents.find((a) => a.serialNumber === node.serialNumbers?.[0]);
        if (!agent) continue;
        expect(node.hostname).toBe(String(agent.computerName).toLowerCase());
        if (agent.lastLoggedInUserName) expect(node.user).toBe(`${String(agent.lastLoggedInUserName).toLowerCase()}@example.com`);
        else expect(node.tags).toContain('tag:server');
      }
    } finally {
      await sim.close();
    }
  });
});

describe('--speed', () => {
  it.each([[undefined, 1], ['1', 1], ['30', 30], ['2.5', 2.5], ['600', 600]])('%j → %d', (text, speed) => expect(parseSpeed(text)).toBe(speed));
  it.each(['0', '0.5', '601', 'fast', '-3', ''])('%j is refused, naming the flag', (text) => expect(() => parseSpeed(text)).toThrow(/--speed/));

  it('the faster clock moves time and fires timers N times faster', async () => {
    let real = 1_000_000;
    const clock = fasterClock(60, () => real);
    real += 1000;
    expect(clock.nowMs()).toBe(1_000_000 + 60_000);
    const started = Date.now();
    await clock.sleep(3000);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
