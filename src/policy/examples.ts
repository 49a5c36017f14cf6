/**
 * Example policies: the one in DESIGN.md and Tailscale's published EDR posture example. Used by tests and handy as
 * a starting point (a demo can seed one). Vendor attribute keys appear here as data only.
 */

/** The policy shown in DESIGN.md. */
export const DESIGN_EXAMPLE_POLICY = `{
  "groups":   { "group:sre": ["alice@example.com"] },
  "postures": {
    "posture:trusted": [
      "sentinelOne:operationalState == 'na'",
      "sentinelOne:activeThreats == 0",
      "sentinelOne:agentVersion >= '23.4.2'",
    ],
  },
  "defaultSrcPosture": [],
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:trusted"] },
  ],
  "tests": [
    { "src": "alice@example.com", "srcPostureAttrs": { "sentinelOne:infected": true }, "deny": ["tag:production"] },
  ],
}
`;

/** Tailscale's EDR posture integration example, as published. */
export const TAILSCALE_EXAMPLE_POLICY = `{
  "postures": {
    "posture:trusted": [
      "sentinelOne:operationalState == 'na'",
      "sentinelOne:activeThreats == 0",
    ],
  },
  "grants": [
    {
      "src": ["autogroup:member"],
      "dst": ["tag:production"],
      "ip": ["*"],
      "srcPosture": ["posture:trusted"]
    }
  ],
}
`;
