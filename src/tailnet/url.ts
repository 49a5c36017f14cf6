/** The Tailscale API base URL (pure): an https origin, or http only on a loopback address (the simulator). */
import { PosternError } from '../lib/errors.ts';
import { isLoopbackHost } from '../lib/ip.ts';

export const DEFAULT_TAILSCALE_BASE_URL = 'https://api.tailscale.com';

const invalid = (message: string) => new PosternError('TAILSCALE_URL_INVALID', message, { details: [{ path: 'body.baseUrl', message }] });

/** Answers the origin (`https://api.tailscale.com`) of what an admin typed, or throws TAILSCALE_URL_INVALID. */
export function normalizeTailscaleBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw invalid(`baseUrl ${JSON.stringify(input.slice(0, 100))} is not a URL; leave it out to use ${DEFAULT_TAILSCALE_BASE_URL}.`);
  }
  if (url.username !== '' || url.password !== '') throw invalid('baseUrl must not contain a user name or password; put the API key in apiKey.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw invalid(`baseUrl must use https (http only on a loopback address); type https://${url.host || 'api.tailscale.com'}.`);
  }
  if (url.search !== '' || url.hash !== '' || !/^\/?(api\/v2\/?)?$/.test(url.pathname)) {
    throw invalid(`baseUrl must be the API address without a path, like ${DEFAULT_TAILSCALE_BASE_URL}.`);
  }
  return url.origin;
}
