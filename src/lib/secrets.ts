/**
 * Secrets at rest: AES-256-GCM under the master key. A sealed secret is `v2:<keyId>:<iv>:<tag>:<ciphertext>`
 * (base64url parts). The key id is a short hash of the key, so the database records which key sealed each secret
 * and opening one with another key fails with MASTER_KEY_INVALID instead of garbage. The associated data binds a
 * secret to what it is for (table, row, column and, for a token sent to a host, that host): the same ciphertext
 * copied to another row, or a row pointed at another host, fails to open with SECRET_BINDING_INVALID.
 * `v1:` secrets (no associated data) are still opened by `openUnbound`, only to re-seal them.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PosternError } from './errors.ts';

export interface SecretBox {
  readonly keyId: string;
  /** Seals `plaintext` bound to `context` (the same context must be given to open it). */
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Opens a `v1:` secret sealed before secrets were bound to their row; only for re-sealing it. */
  openUnbound(sealed: string): string;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

const KEY_HELP = 'generate one with `openssl rand -hex 32`';

/**
 * Parses a master key: exactly 32 bytes written as 64 hex characters or as canonical base64 (44 characters with
 * padding) or base64url (43 characters). Anything else (a passphrase, a hex key cut short) is refused rather than
 * silently decoded into another key. `name` is what the operator set (a variable or a file) for the message.
 */
export function parseMasterKey(text: string, name = 'POSTERN_MASTER_KEY'): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    const buf = Buffer.from(trimmed, 'base64');
    if (buf.length === 32 && buf.toString('base64') === trimmed) return buf;
  }
  if (/^[A-Za-z0-9_-]{43}$/.test(trimmed)) {
    const buf = Buffer.from(trimmed, 'base64url');
    if (buf.length === 32 && buf.toString('base64url') === trimmed) return buf;
  }
  const shape = /^[0-9a-fA-F]+$/.test(trimmed) ? `${trimmed.length} hex characters` : `${trimmed.length} characters that are not 64 hex or canonical base64`;
  throw new PosternError(
    'CONFIG_INVALID',
    `${name} must be exactly 32 bytes written as 64 hex characters or canonical base64 (it holds ${shape}); ${KEY_HELP}.`,
  );
}

/** The key's fingerprint: a short hash, safe to store and show, that names the key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('postern-master-key').update(key).digest('base64url').slice(0, 8);
}

/** The key id a sealed secret names, or null when the text is not a sealed secret. */
export function keyIdOfSealed(sealed: string): string | null {
  const parts = sealed.split(':');
  return parts.length === 5 && (parts[0] === 'v1' || parts[0] === 'v2') ? parts[1]! : null;
}

/** True for a secret sealed before secrets carried associated data (to be re-sealed). */
export const isUnboundSealed = (sealed: string): boolean => sealed.startsWith('v1:');

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new PosternError('CONFIG_INVALID', 'The master key must be 32 bytes.');
  const keyId = keyIdOf(key);

  function decrypt(sealed: string, version: 'v1' | 'v2', context: string | null): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || parts[0] !== version) {
      throw new PosternError('MASTER_KEY_INVALID', 'A stored secret is damaged and cannot be read.');
    }
    const [, id, iv, tag, ct] = parts as [string, string, string, string, string];
    if (id !== keyId) {
      throw new PosternError(
        'MASTER_KEY_INVALID',
        `A stored secret was sealed with master key ${id}, not with the key postern was given (${keyId}); start postern with the master key it was set up with (POSTERN_MASTER_KEY or the key file).`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      if (context !== null) decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      if (context === null) {
        throw new PosternError('MASTER_KEY_INVALID', 'A stored secret failed its integrity check; the data was altered.');
      }
      throw new PosternError(
        'SECRET_BINDING_INVALID',
        `A stored secret does not belong where it is stored (${context}): its row, column or host was changed outside postern. It was not used; an admin must enter the credential again.`,
      );
    }
  }

  return {
    keyId,
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v2', keyId, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join(':');
    },
    open: (sealed, context) => decrypt(sealed, 'v2', context),
    openUnbound: (sealed) => decrypt(sealed, 'v1', null),
  };
}

/** Shows a secret as `****abcd`: enough to recognise it, never enough to use it. */
export function maskSecret(secret: string): string {
  return `****${secret.length >= 12 ? secret.slice(-4) : ''}`;
}
