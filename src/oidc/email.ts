/**
 * The email a sign-in proves, in the one form postern compares: Unicode NFKC, the domain in lower-case ASCII
 * (IDNA), the local part lower-cased. A local part that is not ASCII is refused unless the deployment allows it
 * (POSTERN_OIDC_ALLOW_UNICODE_EMAIL=true): lookalikes such as the Kelvin sign (U+212A), which folds into `k`,
 * would otherwise let a verified `\u212Aate@` at the provider become `kate@` here.
 */
import { domainToASCII } from 'node:url';
import { PosternError } from '../lib/errors.ts';

const NON_ASCII = /[^\x00-\x7F]/;

export function normalizeEmail(raw: string, options: { allowUnicodeLocalPart: boolean }): string {
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) throw new PosternError('LOGIN_FAILED', 'The identity provider vouched for an email address without a local part and a domain.');
  const rawLocal = raw.slice(0, at);
  if (NON_ASCII.test(rawLocal) && !options.allowUnicodeLocalPart) {
    throw new PosternError(
      'LOGIN_FAILED',
      'The email address the identity provider vouched for has characters outside ASCII before the @, which can imitate another person\'s address; postern refuses it. An admin who needs such addresses sets POSTERN_OIDC_ALLOW_UNICODE_EMAIL=true.',
    );
  }
  const local = rawLocal.normalize('NFKC').toLowerCase();
  const domain = domainToASCII(raw.slice(at + 1).normalize('NFKC').toLowerCase());
  if (domain === '') throw new PosternError('LOGIN_FAILED', 'The identity provider vouched for an email address whose domain is not a valid domain name.');
  return `${local}@${domain}`;
}
