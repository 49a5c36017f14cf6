// The SQLite background writer's thread: its own better-sqlite3 connection to the same database file (WAL), so
// bulk appends (the decision log) run off the main event loop. Each message is one batch of rows (arrays of values)
// for one cached INSERT statement and, when the table is bounded, the DELETE that trims it, written in one
// transaction; the answer says whether it landed. It also runs the WAL's checkpoints (copying committed pages into
// the database file), which would otherwise run inside the main thread's commits: a message with `checkpoint`, and
// one every few seconds on its own, so writes outside transactions are checkpointed too.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const statements = new Map();
const CHECKPOINT_EVERY_MS = 5000;

const prepared = (sql) => {
  let stmt = statements.get(sql);
  if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
  return stmt;
};

/** PASSIVE: copies what no reader still needs, never waits for a reader or blocks a writer. */
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
setInterval(() => {
  try {
    checkpoint();
  } catch {
    // Busy or failing now: the next one, or the next write's, catches up.
  }
}, CHECKPOINT_EVERY_MS).unref();

parentPort.on('message', ({ id, sql, rows, trim, checkpoint: wanted }) => {
  try {
    if (wanted) {
      checkpoint();
      parentPort.postMessage({ id, ok: true });
      return;
    }
    const insert = prepared(sql);
    const trimming = trim ? prepared(trim) : null;
    db.transaction(() => {
      for (const row of rows) insert.run(row);
      trimming?.run();
    }).immediate();
    parentPort.postMessage({ id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
