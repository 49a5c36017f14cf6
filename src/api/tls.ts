/**
 * postern's own HTTPS, set like the gateways people trust: Mozilla's "intermediate" profile restricted to forward
 * secrecy (TLS 1.2 with ECDHE and AEAD suites only, and TLS 1.3), the server's cipher order, and a certificate
 * that is checked at start: expired or an RSA key under 2048 bits refuses to start, expiring within 30 days warns.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { PosternError } from '../lib/errors.ts';
import { isLoopbackHost } from '../lib/ip.ts';

/** TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, strongest first; TLS 1.3 suites after. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;
export const TLS13_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export type TlsServerOptions = SecureContextOptions & { cert: Buffer; key: Buffer; honorCipherOrder: boolean };

export interface TlsCheck {
  options: TlsServerOptions;
  /** Said once at start (the certificate expires soon). */
  warnings: string[];
  /** When the certificate stops being valid, for the log line. */
  notAfter: string;
}

/** Reads and checks the certificate and key files; refuses with the variable to fix, or answers the server options. */
export function loadTls(certFile: string, keyFile: string, nowMs: number): TlsCheck {
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new PosternError('CONFIG_INVALID', `${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a PEM file postern may read.`);
    }
  };
  const cert = read(certFile, 'POSTERN_TLS_CERT');
  const key = read(keyFile, 'POSTERN_TLS_KEY');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new PosternError('CONFIG_INVALID', `POSTERN_TLS_CERT: ${certFile} is not a PEM certificate (${(err as Error).message}).`);
  }
  const notAfter = Date.parse(leaf.validTo);
  const warnings: string[] = [];
  if (notAfter <= nowMs) {
    throw new PosternError('CONFIG_INVALID', `POSTERN_TLS_CERT: the certificate in ${certFile} expired on ${new Date(notAfter).toISOString()}; renew it and start again.`);
  }
  if (notAfter - nowMs <= EXPIRY_WARNING_DAYS * DAY_MS) {
    warnings.push(`The TLS certificate in ${certFile} expires on ${new Date(notAfter).toISOString()}, in ${Math.ceil((notAfter - nowMs) / DAY_MS)} day(s); renew it before then.`);
  }
  const details = leaf.publicKey.asymmetricKeyDetails;
  if (leaf.publicKey.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) < 2048) {
    throw new PosternError('CONFIG_INVALID', `POSTERN_TLS_CERT: the certificate's RSA key has ${details?.modulusLength ?? 0} bits; use RSA of at least 2048 bits or an ECDSA P-256 key.`);
  }
  const options: TlsServerOptions = {
    cert,
    key,
    minVersion: 'TLSv1.2',
    ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new PosternError('CONFIG_INVALID', `POSTERN_TLS_CERT / POSTERN_TLS_KEY: not a usable PEM certificate and matching key (${(err as Error).message}).`);
  }
  return { options, warnings, notAfter: new Date(notAfter).toISOString() };
}

/** Whether listening on `host` is reachable only from this machine (the one loopback rule, `lib/ip`). */
export { isLoopbackHost };

/**
 * Plain HTTP beyond this machine carries bearer keys and device tokens in the clear: refused unless the operator
 * says a TLS proxy is in front (POSTERN_ALLOW_PLAINTEXT=true), and then said in the log. Answers the warning.
 */
export function checkPlaintext(host: string, tls: boolean, allowPlaintext: boolean): string | null {
  if (tls || isLoopbackHost(host)) return null;
  if (!allowPlaintext) {
    throw new PosternError(
      'CONFIG_INVALID',
      `POSTERN_HOST=${host} listens beyond this machine without TLS: set POSTERN_TLS_CERT and POSTERN_TLS_KEY, or, with a TLS proxy in front, set POSTERN_ALLOW_PLAINTEXT=true.`,
    );
  }
  return `postern listens on ${host} over plain HTTP (POSTERN_ALLOW_PLAINTEXT=true): bearer keys cross the network unencrypted unless a TLS proxy is in front.`;
}
