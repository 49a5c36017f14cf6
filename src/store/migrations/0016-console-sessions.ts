/**
 * Console sessions: a person signed in to the web console, through the identity provider (OIDC) or with an API
 * key (break-glass). The cookie carries a random token; only its SHA-256 is stored. A session ends at
 * `expires_at`, or when revoked (sign-out, or an admin's revocation).
 */
import type { EngineMigration } from './types.ts';

export const consoleSessions: EngineMigration = {
  name: '0016-console-sessions',
  async up(db) {
    await db.schema
      .createTable('console_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      /** `oidc` or `api-key`. */
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      /** Who, for the audit log: `user:<email>` for OIDC, the key's actor for API keys. */
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('key_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .execute();
    await db.schema.createIndex('console_sessions_expiry_idx').on('console_sessions').columns(['expires_at']).execute();
  },
};
