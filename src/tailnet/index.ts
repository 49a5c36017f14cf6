/**
 * Tailnet: Tailscale as a device source and a posture sink. It reads a tailnet's nodes (with the serial numbers
 * Tailscale collects) into postern's inventory through the devices service, and writes chosen postern attributes
 * back to each node as `custom:*` posture attributes, so any Tailscale plan's `srcPosture` rules can use them.
 * Contents: the Tailscale API client (API key or OAuth client), the pure import and export plans, the sync job
 * (run by `sync`'s scheduler through `schedule.ts`), the service behind `/v1/tailnets`, and the simulator.
 * Imports devices, sync (scheduler, state machine, summary helpers), audit, store and lib; imported by api, cli
 * and main. The pure core (`export-plan`, `import-plan`, `url`) imports no I/O;
 * `summary` and `status` are pure too but reach sync's helpers through its index.
 */
export { createHttpTailscaleClient, DEFAULT_TAILSCALE_RETRY, type TailscaleClient, type TailscaleClientFactory, type TailscaleClientConfig, type RetryOptions } from './client.ts';
export { tailscaleKeyFor, exportProblem, toTailscaleValue, desiredExport, planExport, MAX_KEY_LENGTH, MAX_STRING_LENGTH, BUILT_IN_EXPORT_PREFIXES, type ExportPrefixes } from './export-plan.ts';
export { factsFromNode, checkNode, normalizeTailscaleOs } from './import-plan.ts';
export { createTailnetRepo, type TailnetRepo, type NodeLink } from './repo.ts';
export { createTailnetSync, tailnetActor, type TailnetSync, type TailnetSyncDeps } from './sync.ts';
export { createTailnetScheduler, type SyncJobs } from './schedule.ts';
export { createTailnetService, checkExport, TAILNET_DEFAULTS, type TailnetService, type TailnetInput, type TailnetPatch } from './service.ts';
export { normalizeTailscaleBaseUrl, DEFAULT_TAILSCALE_BASE_URL } from './url.ts';
export { summarizeTailnet } from './summary.ts';
export { startTailscaleSimulator, generateNodes, TailscaleSimState, type TailscaleSimulator, type SimNode, type SimFault } from './simulator/index.ts';
export * from './types.ts';
export { createTailnetModule, type TailnetTuning, type TailnetModuleDeps } from './module.ts';
