/**
 * Where a sync keeps the records of the agents a device could match while its walk runs, until it writes them. A
 * first sync of a large fleet holds one record per device (about 2.5 KB of S1 JSON each, 250 MB for 100,000
 * devices), so they are appended to a temporary file rather than kept in memory: the file is unlinked as soon as it
 * is open (nothing is left behind, even if the process dies), written once per batch and read back one record at a
 * time when the sync writes. The kernel's page cache does the holding, and a container's memory limit can reclaim
 * it. Where no temporary file can be made (a read-only file system), the records stay in memory as before.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A record's place in the spool. */
export type SpoolRef = number;

export interface RecordSpool {
  /** Keeps these UTF-8 bytes; answers where. */
  add(bytes: Buffer): SpoolRef;
  /** The text kept at `ref`. */
  read(ref: SpoolRef): string;
  /** Entries kept (a kept agent has two: its record and the attributes it maps to), and whether they are in a file. */
  readonly size: number;
  readonly onDisk: boolean;
  /** Forgets every record and closes the file. */
  close(): void;
}

/** Writes are gathered up to this many bytes, then written in one call. */
const BATCH_BYTES = 1 << 20;

export function createRecordSpool(options: { dir?: string } = {}): RecordSpool {
  let fd: number | null = null;
  try {
    const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'postern-sync-'));
    const path = join(dir, 'records');
    fd = openSync(path, 'w+', 0o600);
    unlinkSync(path);
    rmSync(dir, { recursive: true, force: true });
  } catch {
    fd = null;
  }
  const offsets: number[] = [];
  const lengths: number[] = [];
  const inMemory: Buffer[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;

  const flush = () => {
    if (fd === null || pending.length === 0) return;
    let at = 0;
    while (at < pendingBytes) {
      // writev may write less than asked; go on from where it stopped.
      at += writevSync(fd, at === 0 ? pending : [Buffer.concat(pending).subarray(at)], written + at);
    }
    written += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };

  return {
    add(bytes) {
      const ref = offsets.length;
      if (fd === null) {
        inMemory.push(bytes);
        offsets.push(0);
        lengths.push(bytes.length);
        return ref;
      }
      offsets.push(written + pendingBytes);
      lengths.push(bytes.length);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= BATCH_BYTES) flush();
      return ref;
    },
    read(ref) {
      if (fd === null) return inMemory[ref]!.toString('utf8');
      flush();
      const buf = Buffer.allocUnsafe(lengths[ref]!);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, offsets[ref]! + got);
        if (n === 0) throw new Error('the sync spool ended early');
        got += n;
      }
      return buf.toString('utf8');
    },
    get size() {
      return offsets.length;
    },
    get onDisk() {
      return fd !== null;
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
      inMemory.length = 0;
      offsets.length = 0;
      lengths.length = 0;
      pending = [];
    },
  };
}
