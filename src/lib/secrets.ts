/**
 * Secrets at rest: AES-256-GCM under the master key. A sealed secret is `v1:<keyId>:<iv>:<tag>:<ciphertext>`
 * (base64url parts); the key id is a short hash of the key, so opening a secret with the wrong master key fails
 * with MASTER_KEY_INVALID instead of garbage.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PosternError } from './errors.ts';

export interface SecretBox {
  readonly keyId: string;
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

/** Parses a master key given as 64 hex characters or 32 bytes of base64/base64url. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const buf = Buffer.from(trimmed, 'base64');
  if (buf.length === 32) return buf;
  throw new PosternError(
    'CONFIG_INVALID',
    'POSTERN_MASTER_KEY must be 32 bytes written as 64 hex characters or base64; generate one with `openssl rand -hex 32`.',
  );
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('postern-master-key').update(key).digest('base64url').slice(0, 8);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new PosternError('CONFIG_INVALID', 'The master key must be 32 bytes.');
  const keyId = keyIdOf(key);
  return {
    keyId,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', keyId, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join(':');
    },
    open(sealed) {
      const parts = sealed.split(':');
      if (parts.length !== 5 || parts[0] !== 'v1') {
        throw new PosternError('MASTER_KEY_INVALID', 'A stored secret is damaged and cannot be read.');
      }
      const [, id, iv, tag, ct] = parts as [string, string, string, string, string];
      if (id !== keyId) {
        throw new PosternError(
          'MASTER_KEY_INVALID',
          'Stored secrets were sealed with a different master key; start postern with the master key it was set up with (POSTERN_MASTER_KEY or the key file).',
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new PosternError('MASTER_KEY_INVALID', 'A stored secret failed its integrity check; the master key is wrong or the data was altered.');
      }
    },
  };
}

/**
 * Loads the master key from `POSTERN_MASTER_KEY`, else from `keyFile`, creating that file (mode 0600) with a
 * fresh random key the first time.
 */
export function loadMasterKey(envValue: string | undefined, keyFile: string): { key: Buffer; source: 'env' | 'file' | 'generated' } {
  if (envValue && envValue.trim() !== '') return { key: parseMasterKey(envValue), source: 'env' };
  if (existsSync(keyFile)) return { key: parseMasterKey(readFileSync(keyFile, 'utf8')), source: 'file' };
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, key.toString('hex') + '\n', { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return { key, source: 'generated' };
}

/** Shows a secret as `****abcd`: enough to recognise it, never enough to use it. */
export function maskSecret(secret: string): string {
  return `****${secret.length >= 12 ? secret.slice(-4) : ''}`;
}
