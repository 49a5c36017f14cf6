/** True when `err` is a UNIQUE-constraint violation from either engine (PostgreSQL 23505, SQLite CONSTRAINT_UNIQUE). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown } | null;
  return e !== null && typeof e === 'object' && (e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** The table whose UNIQUE constraint `err` violated, when the driver says (PostgreSQL: the constraint; SQLite: the message). */
export function uniqueViolationOn(err: unknown): string | null {
  if (!isUniqueViolation(err)) return null;
  const e = err as { constraint?: unknown; table?: unknown; message?: unknown };
  const text = `${String(e.constraint ?? '')} ${String(e.table ?? '')} ${String(e.message ?? '')}`;
  if (text.includes('device_addresses')) return 'device_addresses';
  if (text.includes('device_serials')) return 'device_serials';
  return null;
}
