/** The policy a new user starts from: only devices SentinelOne trusts reach production, with a test that proves it. */
export const EXAMPLE_POLICY = `{
  // Who is who: groups of users by email.
  "groups": { "group:sre": ["alice@example.com"] },

  // Postures: conditions on a device's attributes; every condition must hold.
  "postures": {
    "posture:trusted": [
      "sentinelOne:operationalState == 'na'",
      "sentinelOne:activeThreats == 0",
      "sentinelOne:infected == false",
    ],
  },

  // Grants: who may reach what, and the posture their device needs.
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:trusted"] },
  ],

  // Tests run before every save: a change that breaks one is refused.
  "tests": [
    { "src": "alice@example.com", "srcPostureAttrs": { "sentinelOne:infected": true }, "deny": ["tag:production"] },
  ],
}
`;
