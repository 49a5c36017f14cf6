/**
 * The master key on disk: read strictly (mode 0600, exactly 32 bytes), written durably (exclusive create, fsync of
 * the file and its directory) so a key the database is about to need is on disk before the database changes.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PosternError } from '../lib/errors.ts';
import { parseMasterKey } from '../lib/secrets.ts';

/** Reads a key file; refuses one that others may read, naming the file and the fix. */
export function readKeyFile(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new PosternError(
      'CONFIG_INVALID',
      `POSTERN_MASTER_KEY_FILE: ${file} has mode ${mode.toString(8).padStart(4, '0')}, so other users may read the master key; run \`chmod 600 ${file}\` (and make sure no one else read it).`,
    );
  }
  return parseMasterKey(readFileSync(file, 'utf8'), `POSTERN_MASTER_KEY_FILE (${file})`);
}

export const readKeyFileIfPresent = (file: string): Buffer | null => (existsSync(file) ? readKeyFile(file) : null);

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `file` (never overwrites one) with the key as hex, mode 0600, and fsyncs it and its directory. */
export function writeKeyFileDurably(file: string, key: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PosternError('CONFIG_INVALID', `${file} already exists; postern never overwrites a key file. Move it aside if you are sure no data needs it.`);
    }
    throw err;
  }
  try {
    writeSync(fd, key.toString('hex') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(file));
}

/** Atomically replaces `to` with `from` and makes the rename durable. */
export function replaceDurably(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}

export function removeDurably(file: string): void {
  unlinkSync(file);
  fsyncDir(dirname(file));
}
