/**
 * The postern agent: reads this machine's identity and reports it to postern. Its own package (`postern-agent`),
 * Node's standard library only, no server code; the server's `postern agent` command is a thin alias of `main`.
 */
export { main, AGENT_VERSION, type CliContext } from './cli.ts';
export { report, type ReportOptions, type ReportResult, type LoginStart } from './report.ts';
export { AgentError } from './errors.ts';
export { collectFacts, type DeviceFacts } from './facts.ts';
export { PLACEHOLDER_SERIALS } from './serials.ts';
export { defaultStateFile, loadState, type AgentState } from './state.ts';
