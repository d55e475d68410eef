/**
 * Files that hold a secret (the admin token, the demo site's secret) in the data dir: owner
 * read/write only, whatever the process umask, and never seen half-written.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Mode of a secret file: read and write for the owner alone. */
export const SECRET_FILE_MODE = 0o600;

/** Mode of a data dir this process creates: the owner alone may list or enter it. */
export const DATA_DIR_MODE = 0o700;

/**
 * Create `dir` (and parents) with mode 0700 when it is missing. An existing directory keeps
 * its mode: the operator chose it, and `hurdle doctor` reports one that others can read.
 */
export function ensurePrivateDir(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  // mkdir's mode is filtered by the umask; only the directory made here is set explicitly.
  if (created !== undefined) chmodSync(dir, DATA_DIR_MODE);
}

/**
 * Write `text` to `file` with mode 0600. The bytes go to a fresh temp file beside it, which
 * is chmod-ed (the mode given to open() is reduced by the umask, and a file that was already
 * there would keep its old mode) and renamed over `file`, so readers see the old or the new
 * content, never a partial one.
 */
export function writeSecretFile(file: string, text: string): void {
  ensurePrivateDir(dirname(file));
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', SECRET_FILE_MODE);
  try {
    fchmodSync(fd, SECRET_FILE_MODE);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
