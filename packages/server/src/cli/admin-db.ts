/**
 * The config DB for the admin commands (`site`, `keys`): the same connection, migrations
 * and HMAC key set-up as a server start, so the CLI works on a fresh data dir and beside a
 * running server (SQLite in WAL mode, or PostgreSQL).
 */
import type { ConfigDb } from '../config-db.js';
import type { ServerOptions } from '../options.js';

export async function withAdminDb<T>(options: Readonly<ServerOptions>, fn: (db: ConfigDb) => Promise<T>): Promise<T> {
  const { openConfigDb } = await import('../config-db.js');
  const { ensureHmacKeys } = await import('../site-service.js');
  const db = await openConfigDb(options.db, options.dataDir);
  try {
    await db.migrate();
    await ensureHmacKeys(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
