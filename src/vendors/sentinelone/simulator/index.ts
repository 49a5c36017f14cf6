/**
 * The S1 simulator: a real HTTP server with SentinelOne's API shape, a seeded fleet generator, switchable faults
 * and a mutable state for tests. For tests, the demo and the `s1-simulator` command; production code talks to
 * S1 through the client only.
 */
export { startS1Simulator, SIM_API_PREFIX, type S1Simulator, type StartS1SimulatorOptions } from './server.ts';
export {
  SimulatorState,
  createSimulatorState,
  TOKEN_LIFETIME_MS,
  TOKEN_REGENERATE_COOLDOWN_MS,
  type RequestLogEntry,
  type SimRole,
  type SimToken,
  type SimTokenInput,
  type SimTokenScope,
} from './state.ts';
export { generateAgents, generateSites, SHARES, type GenerateAgentsOptions, type SimAgentRecord, type SimSite } from './generator.ts';
export { PLACEHOLDER_SERIALS } from './generator-data.ts';
export { startFleetLife, dueEvents, storyPatch, STORYLINE, STORY_MINUTES, type FleetLife, type StoryCast, type StoryStep, type StoryKind } from './life.ts';
export { parseFaultSpec, describeFault, FAULT_KINDS, type FaultKind, type FaultRule } from './faults.ts';
