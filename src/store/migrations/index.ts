/** The ordered list of migrations. Append new ones; never edit one that has shipped. */
import { foundation } from './0001-foundation.ts';
import { apiKeys } from './0002-api-keys.ts';
import { policy } from './0003-policy.ts';
import { syncUpkeep } from './0004-sync-upkeep.ts';
import { enrollment } from './0005-enrollment.ts';
import { syncLeases } from './0006-sync-leases.ts';
import { deviceIdentity } from './0007-device-identity.ts';
import { changeFeed } from './0008-change-feed.ts';
import { tailnets } from './0009-tailnets.ts';
import { postureRollout } from './0011-posture-rollout.ts';
import { userRisk } from './0012-user-risk.ts';
import { identityProvenance } from './0013-identity-provenance.ts';
import { decisionLogSummaries } from './0014-decision-log-summaries.ts';
import { sealedSecrets } from './0015-sealed-secrets.ts';
import { consoleSessions } from './0016-console-sessions.ts';
import { reportedAgentUuid } from './0017-reported-agent-uuid.ts';
import { integrationSettings } from './0018-integration-settings.ts';
import { syncProgress } from './0019-sync-progress.ts';
import type { EngineMigration } from './types.ts';

/** Applied in name order, whatever order they are listed in. */
export const MIGRATIONS: readonly EngineMigration[] = [foundation, apiKeys, policy, syncUpkeep, enrollment, syncLeases, deviceIdentity, changeFeed, tailnets, postureRollout, userRisk, identityProvenance, decisionLogSummaries, sealedSecrets, consoleSessions, reportedAgentUuid, integrationSettings, syncProgress].sort(
  (a, b) => a.name.localeCompare(b.name),
);
export type { Engine, EngineMigration } from './types.ts';
