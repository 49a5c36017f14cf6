/**
 * The EDR agent UUID a device's own agent reported: a claim, shown on the device and never matched until
 * an admin approves it (or an enrollment key that approves claims accepted it), like reported MACs.
 */
import type { EngineMigration } from './types.ts';

export const reportedAgentUuid: EngineMigration = {
  name: '0017-reported-agent-uuid',
  async up(db) {
    await db.schema.alterTable('devices').addColumn('reported_s1_agent_uuid', 'text').execute();
  },
};
