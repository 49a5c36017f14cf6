/** The CLI's REST client: one JSON request with a bearer credential; API errors become PosternErrors. */
import { request } from 'undici';
import { ERROR_CODES, PosternError, type ErrorCode } from '../lib/errors.ts';

export async function apiRequest<T>(server: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  let res;
  try {
    res = await request(`${server}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  } catch (err) {
    throw new PosternError('CONFIG_INVALID', `Cannot reach ${server}: ${(err as Error).message}. Check --server.`);
  }
  const text = await res.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // fall through: not JSON
  }
  if (res.statusCode >= 400) {
    const code = (json?.error?.code in ERROR_CODES ? json.error.code : 'INTERNAL') as ErrorCode;
    throw new PosternError(code, json?.error?.message ?? `${server} answered HTTP ${res.statusCode}.`, { details: json?.error?.details ?? [] });
  }
  return json as T;
}
