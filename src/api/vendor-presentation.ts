/**
 * How each EDR vendor's integration is presented: its form fields (label, hint, secret or not, the CLI flag), the
 * names of its connection checks and what to do when one fails, and what its records are called. This belongs in
 * each vendor's folder beside its attribute table (as `presentation` on the registry entry); until the registry
 * carries it, the catalogue (`vendor-catalogue.ts`) takes it from here. Nothing else in api, web or cli names a
 * vendor's words.
 */

/** One field of a vendor's part of the integration body. */
export interface VendorField {
  /** The body field (`clientId`). */
  name: string;
  label: string;
  /** `secret`: write-only, masked; `list`: comma-separated ids sent as an array. */
  kind: 'text' | 'secret' | 'list';
  required: boolean;
  placeholder?: string;
  hint: string;
  /** The CLI flag (`--client-id`); a secret also takes `<flag>-file`. */
  flag: string;
  /** The environment variable the CLI reads a secret from when the flag is absent. */
  env?: string;
}

export interface VendorPresentation {
  /** `agent`, `host`: what one of the vendor's records is called. */
  recordNoun: string;
  /** The integration form after name: address first, then credentials and scope. */
  fields: VendorField[];
  /** Connection check name → label. */
  checkLabels: Record<string, string>;
  /** What to do when a check fails, by error code first, then by check name. */
  hintByCode: Record<string, string>;
  hintByCheck: Record<string, string>;
  /** The masked view field of the stored secret (`apiTokenMasked`), when the view has one. */
  maskedField?: string;
  /** Whether the vendor's integrations take a staleness limit and site/account scope. */
  staleAfter: boolean;
}

const SENTINELONE: VendorPresentation = {
  recordNoun: 'agent',
  fields: [
    { name: 'baseUrl', label: 'Console URL', kind: 'text', required: true, placeholder: 'acme.sentinelone.net or acme', flag: '--url', hint: 'The address of your SentinelOne console: the full URL, one pasted from the address bar, or just the subdomain.' },
    { name: 'apiToken', label: 'API token', kind: 'secret', required: true, placeholder: 'API token', flag: '--api-token', env: 'S1_API_TOKEN', hint: 'The API token of a SentinelOne service user; Viewer is enough, Admin lets postern renew it.' },
    { name: 'siteIds', label: 'Site ids', kind: 'list', required: false, placeholder: 'all sites', flag: '--site', hint: 'Optional, comma-separated.' },
    { name: 'accountIds', label: 'Account ids', kind: 'list', required: false, placeholder: 'all accounts', flag: '--account', hint: 'Optional, comma-separated.' },
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
  staleAfter: true,
};

const FALCON: VendorPresentation = {
  recordNoun: 'host',
  fields: [
    { name: 'baseUrl', label: 'API URL or cloud', kind: 'text', required: true, placeholder: 'us-1, us-2, eu-1, us-gov-1 or https://api.crowdstrike.com', flag: '--url', hint: 'The cloud of your Falcon tenant (us-1, us-2, eu-1, us-gov-1) or its API URL, like https://api.us-2.crowdstrike.com.' },
    { name: 'clientId', label: 'Client ID', kind: 'text', required: true, placeholder: '32 characters', flag: '--client-id', hint: 'The client ID of a Falcon API client with the scopes Hosts: Read and Zero Trust Assessment: Read.' },
    { name: 'clientSecret', label: 'Client secret', kind: 'secret', required: true, placeholder: 'client secret', flag: '--client-secret', env: 'FALCON_CLIENT_SECRET', hint: 'The secret Falcon showed once when the API client was created.' },
  ],
  checkLabels: { url: 'API reachable', credentials: 'Client ID and secret valid', 'scope:hosts': 'Scope Hosts: Read', 'scope:zta': 'Scope Zero Trust Assessment: Read', hosts: 'Hosts visible' },
  hintByCode: {
    FALCON_URL_INVALID: 'Type a cloud name (us-1, us-2, eu-1, us-gov-1) or the API URL, like https://api.us-2.crowdstrike.com.',
    FALCON_UNREACHABLE: 'Check the cloud or URL, and that this server can reach it (DNS, proxy, firewall).',
    FALCON_TIMEOUT: 'Falcon did not answer in time; check the address and the network path from this server.',
    FALCON_AUTH_FAILED: 'In Falcon open Support and resources › API clients and keys, reset the secret of the API client (or create one) and paste both here.',
    FALCON_FORBIDDEN: 'Edit the API client in Falcon and give it the scopes Hosts: Read and Zero Trust Assessment: Read.',
  },
  hintByCheck: {
    url: 'Check the cloud name or API URL of your Falcon tenant.',
    credentials: 'Paste the client ID and secret of a Falcon API client; the secret is shown once when created or reset.',
    'scope:hosts': 'Edit the API client in Falcon and tick Hosts: Read.',
    'scope:zta': 'Edit the API client in Falcon and tick Zero Trust Assessment: Read.',
    hosts: 'Check the CID the API client belongs to.',
  },
  staleAfter: false,
};

/** Presentation by provider, for registered vendors that do not carry their own yet. */
export const PRESENTATION_FALLBACK: Readonly<Record<string, VendorPresentation>> = { sentinelone: SENTINELONE, falcon: FALCON };
