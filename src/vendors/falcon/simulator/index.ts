/**
 * The Falcon simulator: a real HTTP server with the shapes of CrowdStrike's hosts and Zero Trust Assessment APIs,
 * a seeded fleet generator, switchable faults and a mutable state. For tests, the demo, benches and the standalone
 * `main.ts`; production code talks to Falcon through the client only.
 */
export { startFalconSimulator, type FalconSimulator, type StartFalconSimulatorOptions } from './server.ts';
export { FalconSimState, ALL_SCOPES, OFFSET_LIFETIME_MS, type SimClient, type SimClientInput, type SimScope, type SimRequest } from './state.ts';
export { generateHosts, PLACEHOLDER_SERIALS, type SimHost, type SimAssessment, type GenerateHostsOptions } from './generator.ts';
export { parseFaultSpec, FAULT_KINDS, type FaultKind, type FaultRule } from './faults.ts';
