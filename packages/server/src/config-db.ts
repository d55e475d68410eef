/**
 * The config DB: sites and a few meta values, in SQLite (embedded default, a file in the
 * data dir) or PostgreSQL. Only the primary process (and the CLI) opens it; requests never
 * query it. Every query is counted (`queryCount`), which the tests use to prove that.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServerError } from './errors.js';
import type { ConfigDb } from './config-db-connection.js';

export type { ConfigDb } from './config-db-connection.js';

/** Open the config DB named by the `db` option (see the README). */
export async function openConfigDb(db: string, dataDir: string): Promise<ConfigDb> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { openPostgresConfigDb } = await import('./postgres-config-db.js');
    return openPostgresConfigDb(db);
  }
  const file = db === '' ? join(dataDir, 'hurdle.db') : db.replace(/^sqlite:/, '');
  const path = resolve(file);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw new ServerError('SERVER_ERR_DB', `cannot create the data directory for '${path}' (option 'dataDir'/'db'): ${(err as Error).message}`);
  }
  const { openSqliteConfigDb } = await import('./sqlite-config-db.js');
  return openSqliteConfigDb(path);
}
