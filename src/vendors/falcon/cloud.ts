/**
 * The Falcon API address as an admin types it (pure): a cloud name (`us-1`, `us-2`, `eu-1`, `us-gov-1`, and the
 * clouds the SDKs also know) or the API URL (`https://api.us-2.crowdstrike.com`), reduced to the origin the client
 * talks to. The client secret must only travel over https, so plain http is allowed for loopback only (a local
 * simulator). The token reply's `X-CS-Region` names the client's real cloud; `cloudOrigin` turns it into an origin.
 */
import { PosternError } from '../../lib/errors.ts';
import { isLoopbackHost } from '../../lib/ip.ts';

/** Cloud name → API host [falconpy `_base_url.py`, gofalcon `cloud.go`, psfalcon]. */
export const FALCON_CLOUDS = {
  'us-1': 'api.crowdstrike.com',
  'us-2': 'api.us-2.crowdstrike.com',
  'eu-1': 'api.eu-1.crowdstrike.com',
  'us-gov-1': 'api.laggar.gcw.crowdstrike.com',
  'us-gov-2': 'api.us-gov-2.crowdstrike.mil',
  'us-3': 'api.us-3.crowdstrike.com',
} as const;

export type FalconCloud = keyof typeof FALCON_CLOUDS;

/** Cloud name → origin; tests map the clouds onto local simulators. */
export type CloudOrigins = Readonly<Partial<Record<string, string>>>;

export const DEFAULT_CLOUD_ORIGINS: CloudOrigins = Object.fromEntries(
  Object.entries(FALCON_CLOUDS).map(([cloud, host]) => [cloud, `https://${host}`]),
);

const EXAMPLE = 'a cloud name (us-1, us-2, eu-1, us-gov-1) or the API URL, such as https://api.us-2.crowdstrike.com';

function invalid(message: string): PosternError {
  return new PosternError('FALCON_URL_INVALID', message, { details: [{ path: 'baseUrl', message }] });
}

const shown = (input: string) => JSON.stringify(input.length > 100 ? `${input.slice(0, 100)}…` : input);


/** A cloud name in any case and with `_` or `-` (`US-2`, `us_gov_1`), or null. */
export function parseCloudName(input: string): FalconCloud | null {
  const name = input.trim().toLowerCase().replace(/_/g, '-');
  return name in FALCON_CLOUDS ? (name as FalconCloud) : null;
}

/** The cloud a known API origin belongs to, or null for any other origin (a proxy, a simulator). */
export function cloudOfOrigin(origin: string, origins: CloudOrigins = DEFAULT_CLOUD_ORIGINS): string | null {
  for (const [cloud, o] of Object.entries(origins)) if (o === origin) return cloud;
  return null;
}

/** The origin of a cloud named by `X-CS-Region`, or null when the name is unknown. */
export function cloudOrigin(region: string, origins: CloudOrigins = DEFAULT_CLOUD_ORIGINS): string | null {
  const name = region.trim().toLowerCase().replace(/_/g, '-');
  return origins[name] ?? null;
}

/**
 * Returns the API origin (`https://api.us-2.crowdstrike.com`, or `http://127.0.0.1:PORT` for a local simulator).
 * Throws `FALCON_URL_INVALID` for anything else, with what to type instead.
 */
export function normalizeFalconBaseUrl(input: string, origins: CloudOrigins = DEFAULT_CLOUD_ORIGINS): string {
  if (typeof input !== 'string' || input.trim() === '') throw invalid(`The Falcon API address is empty; type ${EXAMPLE}.`);
  const trimmed = input.trim();
  const cloud = parseCloudName(trimmed);
  if (cloud !== null) return origins[cloud] ?? `https://${FALCON_CLOUDS[cloud]}`;
  if (/^[a-z0-9-]+$/i.test(trimmed) && !/^localhost$/i.test(trimmed)) {
    throw invalid(`${shown(trimmed)} is not a Falcon cloud; type ${EXAMPLE}.`);
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `https://${trimmed}`);
  } catch {
    throw invalid(`The Falcon API address ${shown(trimmed)} is not a valid address; type ${EXAMPLE}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(`The Falcon API address must not contain a user name or password; type only ${url.protocol}//${url.host} and put the client ID and secret in their fields.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`The Falcon API address must start with https://; type ${EXAMPLE}.`);
  if (!url.hostname || /\s/.test(trimmed)) throw invalid(`The Falcon API address ${shown(trimmed)} has no valid host name; type ${EXAMPLE}.`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw invalid(`The Falcon API address ${shown(trimmed)} uses http; the client secret must only travel over https. Type https://${url.host} instead.`);
  }
  const host = url.hostname.toLowerCase();
  // The Falcon console (falcon.crowdstrike.com, falcon.us-2.crowdstrike.com) is not the API; say which API it is.
  const consoleMatch = /^falcon\.((?:[a-z0-9-]+\.)*)crowdstrike\.(com|mil)$/.exec(host);
  if (consoleMatch) {
    const apiHost = `api.${consoleMatch[1] ?? ''}crowdstrike.${consoleMatch[2]}`;
    throw invalid(`${shown(trimmed)} is the Falcon console, not its API; type https://${apiHost} (or the cloud name).`);
  }
  if (url.search !== '' || url.hash !== '' || !/^\/*$/.test(url.pathname)) {
    throw invalid(`The Falcon API address ${shown(trimmed)} has a path; type just ${url.protocol}//${url.host}.`);
  }
  return url.origin;
}
