/**
 * True when a write failed on a unique index. MongoDB reports code 11000 for inserts and
 * updates alike; FerretDB v1 on SQLite reports it for inserts, but an update
 * (findAndModify) that hits a unique index fails with a generic code whose message carries
 * SQLite's "UNIQUE constraint failed". Both mean "taken", never a server fault.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 11000 || (typeof message === 'string' && message.includes('UNIQUE constraint failed'));
}
