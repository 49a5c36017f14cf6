/**
 * Device logins that enrolled a device: the SHA-256 of the device code, kept until the login would have expired.
 * A provider that lets one device code be redeemed twice still cannot make one sign-in enroll two machines.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';

export interface Redemptions {
  /** Whether this device code was already redeemed (checked before asking the provider). */
  seen(deviceCode: string): Promise<boolean>;
  /** Records the redemption; false when another request recorded it first. */
  record(deviceCode: string, nowIso: string, expiresAtIso: string): Promise<boolean>;
}

const hashOf = (deviceCode: string) => createHash('sha256').update(deviceCode).digest('base64url');

export function createRedemptions(store: Pick<Store, 'db'>): Redemptions {
  return {
    async seen(deviceCode) {
      return (await store.db.selectFrom('device_logins_redeemed').select('code_hash').where('code_hash', '=', hashOf(deviceCode)).executeTakeFirst()) !== undefined;
    },
    async record(deviceCode, nowIso, expiresAtIso) {
      await store.db.deleteFrom('device_logins_redeemed').where('expires_at', '<', nowIso).execute();
      const result = await store.db
        .insertInto('device_logins_redeemed')
        .values({ code_hash: hashOf(deviceCode), redeemed_at: nowIso, expires_at: expiresAtIso })
        .onConflict((c) => c.column('code_hash').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
  };
}
