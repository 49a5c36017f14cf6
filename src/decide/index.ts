/**
 * Decide: the in-memory posture view each process decides from (compiled policy, devices with what a decision
 * needs, integration freshness, indexes by id, address, user and presence token), loaded at start and kept current
 * by the change feed. Implements the policy module's `DecisionView`. Imported by main. The rest of the decision path (decisions, kept decisions, the decision log, the
 * gateway's read and answer) joins it here; `decide/` never imports `api/`.
 */
export { createPostureView, type HeldDevice, type PostureView, type PostureViewDeps } from './view.ts';
