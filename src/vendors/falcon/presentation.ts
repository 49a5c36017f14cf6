/**
 * How a CrowdStrike Falcon integration is presented to people: the console's form, the CLI's flags, the connection checks'
 * labels and what to do when one fails (served by `GET /v1/vendors`).
 */
import type { VendorPresentation } from '../types.ts';

export const FALCON_PRESENTATION: VendorPresentation = {
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
};
