/**
 * The config DB: sites and a few meta values, in SQLite (embedded default, a file in the
 * data dir) or PostgreSQL. Only the primary process (and the CLI) opens it; requests never
 * query it. Every query is counted (`queryCount`), which the tests use to prove that.
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServerError } from './errors.js';
import type { ConfigDb } from './config-db-connection.js';
import { assertPrivateFiles } from './private-files.js';
import { ensurePrivateDir, SECRET_FILE_MODE } from './secret-file.js';

export type { ConfigDb, LeaseHolder, SiteChange, SiteStats } from './config-db-connection.js';

/** How {@link openConfigDb} treats the files it opens. */
export interface OpenConfigDbOptions {
  /**
   * Refuse an SQLite DB file (or its WAL/SHM) that group or others can read
   * (SERVER_ERR_INSECURE_FILE). Only `hurdle doctor` turns it off: it reports the modes itself.
   * @default true
   */
  readonly requirePrivateFiles?: boolean;
}

/** Open the config DB named by the `db` option (see the README). */
export async function openConfigDb(db: string, dataDir: string, openOptions: OpenConfigDbOptions = {}): Promise<ConfigDb> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { openPostgresConfigDb } = await import('./postgres-config-db.js');
    return openPostgresConfigDb(db);
  }
  const file = db === '' ? join(dataDir, 'hurdle.db') : db.replace(/^sqlite:/, '');
  const path = resolve(file);
  try {
    ensurePrivateDir(dirname(path));
  } catch (err) {
    throw new ServerError('SERVER_ERR_DB', `cannot create the data directory for '${path}' (option 'dataDir'/'db'): ${(err as Error).message}`);
  }
  // The DB holds the signing keys: a new file is made owner-only before SQLite opens it (its
  // -wal and -shm files then take the same mode). An existing file keeps the mode it has.
  try {
    const fd = openSync(path, 'wx', SECRET_FILE_MODE);
    fchmodSync(fd, SECRET_FILE_MODE);
    closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ServerError('SERVER_ERR_DB', `cannot create the SQLite config DB '${path}' (option 'dataDir'/'db'): ${(err as Error).message}`);
    }
  }
  // An existing file may have been made (or copied) with a looser mode: refuse it.
  if (openOptions.requirePrivateFiles !== false) assertPrivateFiles([path, `${path}-wal`, `${path}-shm`], 'the token-signing keys');
  const { openSqliteConfigDb } = await import('./sqlite-config-db.js');
  return openSqliteConfigDb(path);
}
