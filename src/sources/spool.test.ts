import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordSpool } from './spool.ts';

describe('the record spool gives back every record exactly as kept, and leaves nothing behind', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'spool-test-'));
    dirs.push(d);
    return d;
  };

  it('keeps records in an unlinked file, across batches, in any read order', () => {
    const dir = scratch();
    const spool = createRecordSpool({ dir });
    expect(spool.onDisk).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    const texts = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: String(i), name: `hôte-${i}`, pad: 'x'.repeat(i % 700) }));
    const refs = texts.map((t) => spool.add(Buffer.from(t)));
    for (const i of [2999, 0, 1500, 1, 2998]) expect(spool.read(refs[i]!)).toBe(texts[i]);
    // More after reads, then all of them again.
    const more = spool.add(Buffer.from('{"late":true}'));
    expect(spool.read(more)).toBe('{"late":true}');
    texts.forEach((t, i) => expect(spool.read(refs[i]!)).toBe(t));
    expect(spool.size).toBe(3001);
    spool.close();
  });

  it('keeps them in memory where no temporary file can be made', () => {
    const dir = scratch();
    chmodSync(dir, 0o500);
    const spool = createRecordSpool({ dir: process.getuid?.() === 0 ? '/proc/no-such-dir' : dir });
    expect(spool.onDisk).toBe(false);
    const ref = spool.add(Buffer.from('{"a":1}'));
    expect(spool.read(ref)).toBe('{"a":1}');
    spool.close();
  });
});
