/**
 * The SentinelOne console URL as an admin types it, reduced to the origin the client talks to. People paste the
 * console address, the API base (`…/web/api` or `…/web/api/v2.1`) or just the tenant name; all of those name the
 * same console, and so does any page of a `*.sentinelone.net` console copied from the browser's address bar.
 * Anything else is refused with a message that says what to type instead, because a wrong URL is
 * otherwise only discovered at the first sync.
 */
import { PosternError } from '../../lib/errors.ts';
import { isLoopbackHost } from '../../lib/ip.ts';

export { isLoopbackHost };

const S1_DOMAIN = 'sentinelone.net';
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** Paths that still name the console itself (the API base, with or without a version). */
const ACCEPTED_PATH = /^(?:\/web\/api(?:\/v2\.[01])?)?\/*$/i;
const EXAMPLE = `https://<tenant>.${S1_DOMAIN}`;

function invalid(message: string): PosternError {
  return new PosternError('S1_URL_INVALID', message, { details: [{ path: 'baseUrl', message }] });
}


/** A short, credential-free rendering of what was typed, for error messages. */
function shown(input: string): string {
  const text = input.length > 100 ? `${input.slice(0, 100)}…` : input;
  return JSON.stringify(text);
}

/**
 * Returns the console origin (`https://x.sentinelone.net`, or `http://127.0.0.1:PORT` for a local simulator).
 * Throws `S1_URL_INVALID` for anything that is not a plain https console address.
 */
export function normalizeS1BaseUrl(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw invalid(`The SentinelOne URL is empty; type your console address, for example ${EXAMPLE}.`);
  }
  const trimmed = input.trim();
  if (/^\d+$/.test(trimmed)) {
    throw invalid(`The SentinelOne URL ${shown(trimmed)} is a number, not an address; type your console address, for example ${EXAMPLE}.`);
  }

  // A bare tenant name ("acme") names acme.sentinelone.net.
  if (DNS_LABEL.test(trimmed) && trimmed.toLowerCase() !== 'localhost') {
    return `https://${trimmed.toLowerCase()}.${S1_DOMAIN}`;
  }

  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  if (!hasScheme && /^[a-z][a-z0-9+.-]*:(?!\d)/i.test(trimmed)) {
    throw invalid(`The SentinelOne URL ${shown(trimmed)} is not a web address; type your console address, for example ${EXAMPLE}.`);
  }
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `https://${trimmed}`);
  } catch {
    throw invalid(`The SentinelOne URL ${shown(trimmed)} is not a valid address; type your console address, for example ${EXAMPLE}.`);
  }

  if (url.username !== '' || url.password !== '') {
    // Never echo the input here: it holds a user name or password.
    throw invalid(
      `The SentinelOne URL must not contain a user name or password; type only the console address (${url.protocol}//${url.host}) and put the API token in the token field.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`The SentinelOne URL must start with https://, not ${url.protocol}//; type https://${url.host || '<tenant>.' + S1_DOMAIN}.`);
  }
  if (!url.hostname || /\s/.test(trimmed) || !/^[a-z0-9.\-[\]:]+$/i.test(url.hostname) || url.hostname.startsWith('.')) {
    throw invalid(`The SentinelOne URL ${shown(trimmed)} has no valid host name; type your console address, for example ${EXAMPLE}.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw invalid(
      `The SentinelOne URL ${shown(trimmed)} uses http; the API token must only travel over https. Type https://${url.host} instead.`,
    );
  }
  // A SaaS console has no path prefix: whatever page was open in the browser (`/dashboard`, `#/incidents`) names
  // the same console.
  if (url.protocol === 'https:' && url.hostname.toLowerCase().endsWith(`.${S1_DOMAIN}`)) return url.origin;
  if (url.search !== '' || url.hash !== '' || !ACCEPTED_PATH.test(url.pathname)) {
    throw invalid(
      `The SentinelOne URL ${shown(trimmed)} points at a page, not at the console; type just ${url.protocol}//${url.host} (the address without a path).`,
    );
  }
  return url.origin;
}

/**
 * True when the URL an admin typed names a console on the same host as a saved console origin: a stored API token
 * is only ever sent to the host it was saved for. Throws `S1_URL_INVALID` as `normalizeS1BaseUrl` does.
 */
export function isSameS1Host(typed: string, savedOrigin: string): boolean {
  return new URL(normalizeS1BaseUrl(typed)).host === new URL(savedOrigin).host;
}
