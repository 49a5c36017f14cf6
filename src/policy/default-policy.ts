/**
 * The policy in force before an admin stores one: no grants, so every decision is a deny. Shown by
 * `GET /v1/policy` as version 0 with a note saying so; never stored.
 */
export const DEFAULT_POLICY_TEXT = `// postern's built-in default policy: no policy has been stored yet.
// It has no grants, so every device is denied every destination (NO_MATCHING_GRANT).
// Replace it with PUT /v1/policy or \`postern policy apply FILE\`.
{
  "grants": [],
}
`;

export const DEFAULT_POLICY_NOTE =
  'No policy has been stored yet. This built-in default has no grants and denies every request; store a policy with PUT /v1/policy.';
