/**
 * The one reader of `Authorization: Bearer <credential>` headers, for API keys (`pst_…`), enrollment keys
 * (`pek_…`) and report tokens (`pdt_…`) alike: every postern credential is a prefix and base62 characters, so
 * anything else is no credential at all.
 */
const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/;

/** The credential in an `Authorization: Bearer <credential>` header, or null when absent or not of that shape. */
export function bearerKey(header: string | undefined): string | null {
  return header ? (BEARER.exec(header)?.[1] ?? null) : null;
}
