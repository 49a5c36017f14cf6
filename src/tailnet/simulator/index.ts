/**
 * The Tailscale API simulator: a real HTTP server with the device list, posture attribute and OAuth endpoints,
 * seeded realistic nodes and switchable faults. For tests, the demo and `postern tailscale-simulator`.
 */
export { startTailscaleSimulator, type StartTailscaleSimulatorOptions, type TailscaleSimulator } from './server.ts';
export { generateNodes, TailscaleSimState, type SimNode, type SimAttribute, type SimFault, type SimRequest, type GenerateNodesOptions } from './state.ts';
