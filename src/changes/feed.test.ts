/**
 * The change feed delivers a write's change to this process's listeners before the write answers, records it with
 * a sequence number so another process reading the same database applies exactly what it has not applied yet
 * (never twice, never its own changes again), and asks listeners to reload everything when a process was out of
 * touch for longer than rows are kept.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import { openStore, type Store } from '../store/index.ts';
import { createChangeFeed, type ChangeBatch } from './feed.ts';

const logger = createLogger({ level: 'silent' });
let stores: Store[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function twoProcesses(clock = new FakeClock('2026-03-01T00:00:00Z')) {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'postern-feed-')), 'p.db')}`;
  const [sa, sb] = [await openStore(url), await openStore(url)];
  stores.push(sa, sb);
  const a = createChangeFeed({ store: sa, clock, logger });
  const b = createChangeFeed({ store: sb, clock, logger, keepMs: 3_600_000 });
  const seenA: ChangeBatch[] = [];
  const seenB: ChangeBatch[] = [];
  a.subscribe(async (batch) => void seenA.push(batch));
  b.subscribe(async (batch) => void seenB.push(batch));
  await a.mark();
  await b.mark();
  return { a, b, seenA, seenB, clock };
}

describe('the change feed', () => {
  it('delivers in-process at once, and another process applies each change exactly once, in order', async () => {
    const { a, b, seenA, seenB } = await twoProcesses();
    await a.deviceChanged(['dev_1', 'dev_2', 'dev_1']);
    await a.policyChanged();
    expect(seenA).toEqual([
      { reload: false, changes: [{ kind: 'device', ref: 'dev_1' }, { kind: 'device', ref: 'dev_2' }] },
      { reload: false, changes: [{ kind: 'policy', ref: '*' }] },
    ]);
    expect(seenB).toEqual([]);
    await b.catchUp();
    await b.catchUp();
    expect(seenB).toEqual([
      { reload: false, changes: [{ kind: 'device', ref: 'dev_1' }, { kind: 'device', ref: 'dev_2' }, { kind: 'policy', ref: '*' }] },
    ]);
    // a does not apply its own changes a second time when it reads the feed.
    await a.catchUp();
    expect(seenA).toHaveLength(2);
  });

  it('a write that touched many devices tells other processes to reload every device, in one row', async () => {
    const { a, b, seenA, seenB } = await twoProcesses();
    const ids = Array.from({ length: 600 }, (_, i) => `dev_${i}`);
    await a.deviceChanged(ids);
    expect(seenA[0]).toMatchObject({ reload: false });
    expect((seenA[0] as { changes: unknown[] }).changes).toHaveLength(600);
    await b.catchUp();
    expect(seenB).toEqual([{ reload: false, changes: [{ kind: 'device', ref: '*' }] }]);
  });

  it('a process out of touch for longer than rows are kept reloads everything', async () => {
    const { a, b, seenB, clock } = await twoProcesses();
    await clock.advance(2 * 3600_000);
    await a.apiKeyChanged('key_1');
    await b.catchUp();
    expect(seenB[0]).toEqual({ reload: true, changes: [] });
    expect(seenB[1]).toEqual({ reload: false, changes: [{ kind: 'api_key', ref: 'key_1' }] });
  });
});
