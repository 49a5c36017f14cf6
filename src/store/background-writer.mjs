// The SQLite background writer's thread: its own better-sqlite3 connection to the same database file (WAL), so
// bulk appends (the decision log) run off the main event loop. Each message is one batch of rows (arrays of values)
// for one cached INSERT statement and, when the table is bounded, the DELETE that trims it, written in one
// transaction; the answer says whether it landed.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const statements = new Map();

const prepared = (sql) => {
  let stmt = statements.get(sql);
  if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
  return stmt;
};

parentPort.on('message', ({ id, sql, rows, trim }) => {
  try {
    const insert = prepared(sql);
    const trimming = trim ? prepared(trim) : null;
    db.transaction(() => {
      for (const row of rows) insert.run(row);
      trimming?.run();
    })();
    parentPort.postMessage({ id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
