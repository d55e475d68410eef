/**
 * The files that hold the token-signing keys must be the service user's alone: anyone who
 * can read them can forge pass tokens that `/siteverify` accepts. A start refuses files that
 * group or others can read or write, rather than serving with keys it cannot trust.
 */
import { statSync } from 'node:fs';
import { ServerError } from './errors.js';

/** Permission bits that must be clear on a key-holding file: every group and other bit. */
const GROUP_OTHER_BITS = 0o077;

/**
 * Throw SERVER_ERR_INSECURE_FILE for the first of `files` (that exists) whose mode lets group
 * or others in; missing files are skipped (SQLite creates -wal/-shm with the DB file's mode).
 */
export function assertPrivateFiles(files: readonly string[], holds: string): void {
  for (const file of files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) continue;
    const mode = st.mode & 0o777;
    if ((mode & GROUP_OTHER_BITS) !== 0) {
      throw new ServerError('SERVER_ERR_INSECURE_FILE',
        `'${file}' holds ${holds} but has mode 0${mode.toString(8)}, so other users of this machine can read or change it; ` +
        `fix: chmod 600 '${file}' (and keep its directory 0700), then start again`);
    }
  }
}
