/**
 * Changes: the feed that keeps every process's posture view current. Write paths call one method after they
 * commit (`deviceChanged`, `integrationChanged`, `policyChanged`, `apiKeyChanged`); views subscribe. In-process at
 * once; across PostgreSQL processes through a numbered `change_feed` table and `LISTEN/NOTIFY`. Imported by
 * devices, keys, sync and policy (publishing, through `ChangePublisher`), posture (subscribing) and main.
 */
export {
  createChangeFeed,
  type Change,
  type ChangeBatch,
  type ChangeFeed,
  type ChangeFeedDeps,
  type ChangeKind,
  type ChangeListener,
  type ChangePublisher,
} from './feed.ts';
