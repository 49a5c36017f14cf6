/**
 * The Falcon part of an integration body (pure): `baseUrl` (a cloud name or the API URL), `clientId`,
 * `clientSecret` (a secret: sealed at rest, never returned), and `memberCid` for Flight Control children.
 * Errors name the field and say what to type.
 */
import { validationError } from '../../lib/errors.ts';
import { normalizeFalconBaseUrl, type CloudOrigins } from './cloud.ts';
import type { FalconClientConfig } from './types.ts';

const CID = /^[0-9a-f]{32}(-[0-9a-f]{2})?$/i;

export function parseFalconConfig(body: Record<string, unknown>, cloudOrigins?: CloudOrigins): FalconClientConfig {
  const text = (field: string, what: string): string => {
    const v = body[field];
    if (typeof v !== 'string' || v.trim() === '') throw validationError(`body.${field}`, `required: ${what}.`);
    return v.trim();
  };
  const baseUrl = normalizeFalconBaseUrl(text('baseUrl', 'a cloud name (us-1, us-2, eu-1, us-gov-1) or the API URL'), cloudOrigins);
  const clientId = text('clientId', 'the client ID of a Falcon API client (32 characters)');
  const clientSecret = text('clientSecret', 'the secret shown once when the Falcon API client was created');
  if (!/^[A-Za-z0-9]{8,64}$/.test(clientId)) throw validationError('body.clientId', 'a Falcon client ID is letters and digits (32 characters); paste it again.');
  if (/\s/.test(clientSecret)) throw validationError('body.clientSecret', 'a Falcon client secret has no spaces; paste it again.');
  const member = body.memberCid;
  if (member !== undefined && member !== null && (typeof member !== 'string' || !CID.test(member.trim()))) {
    throw validationError('body.memberCid', 'a CID is 32 hexadecimal characters (with an optional -XX checksum); leave it out unless you use Flight Control.');
  }
  return { baseUrl, clientId, clientSecret, ...(typeof member === 'string' && member.trim() !== '' ? { memberCid: member.trim().toLowerCase().slice(0, 32) } : {}) };
}
