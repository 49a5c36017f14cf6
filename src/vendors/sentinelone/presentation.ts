/**
 * How a SentinelOne integration is presented to people: the console's form, the CLI's flags, the connection checks'
 * labels and what to do when one fails (served by `GET /v1/vendors`).
 */
import type { VendorPresentation } from '../types.ts';

/** A site or account id as SentinelOne shows it. */
export const S1_ID_PATTERN = { regex: '^\\d{1,19}$', message: 'must be a SentinelOne id (digits only)' };

export const SENTINELONE_PRESENTATION: VendorPresentation = {
  recordNoun: 'agent',
  fields: [
    { name: 'baseUrl', label: 'Console URL', kind: 'text', required: true, placeholder: 'acme.sentinelone.net or acme', flag: '--url', hint: 'The address of your SentinelOne console: the full URL, one pasted from the address bar, or just the subdomain.' },
    { name: 'apiToken', label: 'API token', kind: 'secret', required: true, placeholder: 'API token', flag: '--api-token', env: 'S1_API_TOKEN', hint: 'The API token of a SentinelOne service user; Viewer is enough, Admin lets postern renew it.',
      minLength: 8, pattern: { regex: '^[\\x21-\\x7e]+$', message: 'must be the API token as SentinelOne shows it (no spaces or control characters)' } },
    { name: 'siteIds', label: 'Site ids', kind: 'list', required: false, placeholder: 'all sites', flag: '--site', hint: 'Optional, comma-separated.', pattern: S1_ID_PATTERN },
    { name: 'accountIds', label: 'Account ids', kind: 'list', required: false, placeholder: 'all accounts', flag: '--account', hint: 'Optional, comma-separated.', pattern: S1_ID_PATTERN },
  ],
  checkLabels: { url: 'Console reachable', token: 'API token valid', scope: 'Scope sees agents', expiry: 'Token expiry' },
  hintByCode: {
    S1_URL_INVALID: 'Type the console address, for example acme.sentinelone.net, or just the subdomain acme.',
    S1_UNREACHABLE: 'Check the address, and that this server can reach it (DNS, proxy, firewall).',
    S1_TIMEOUT: 'The console did not answer in time; check the address and the network path from this server.',
    S1_AUTH_FAILED: 'In SentinelOne open Settings › Users › Service Users, generate a new API token for the service user (Viewer is enough) and paste it here.',
    S1_FORBIDDEN: "The token's user may not read agents: give the service user at least the Viewer role on the account or site.",
  },
  hintByCheck: {
    url: 'Check the console address: it is the part of your browser address up to .sentinelone.net.',
    token: 'Paste the API token of a SentinelOne service user; tokens are shown once when generated.',
    scope: "Check the service user's scope, and the site and account ids below (leave them empty to use everything the token sees).",
    expiry: 'Generate a new token in SentinelOne before this date and use "Replace token" here; with an Admin service user postern renews it by itself.',
  },
  maskedField: 'apiTokenMasked',
};
