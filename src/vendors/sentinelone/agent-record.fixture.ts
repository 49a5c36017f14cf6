/**
 * One agent record as SentinelOne's API documents it (`GET /web/api/v2.1/agents`), for the tests of reading agent
 * records and pages.
 */
export const SAMPLE_AGENT_RECORD = {
  id: '657613730168123595',
  uuid: 'f431b0a1a8744d2a8a92fc88fa3c13bc',
  computerName: 'EC2AMAZ-AJ0KANC',
  serialNumber: 'C02XL0GJH7JY',
  osType: 'windows',
  osName: 'Windows Server 2016',
  machineType: 'server',
  agentVersion: '23.4.2.14',
  operationalState: 'na',
  activeThreats: 0,
  encryptedApplications: false,
  firewallEnabled: true,
  infected: false,
  isActive: true,
  isDecommissioned: false,
  networkStatus: 'connected',
  threatRebootRequired: false,
  lastActiveDate: '2020-02-20T00:26:33.955830Z',
  updatedAt: '2021-01-11T19:33:25.482177Z',
  createdAt: '2019-06-27T08:01:05.571895Z',
  siteId: '475482421366727779',
  accountId: '433241117337583618',
};
