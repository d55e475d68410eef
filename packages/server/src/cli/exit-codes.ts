/**
 * Exit statuses of the `hurdle` command, fixed so that shell scripts can branch on them
 * (documented in docs/operations.md).
 */
import type { ServerErrorCode } from '../errors.js';

export const EXIT = Object.freeze({
  /** Done; for `doctor`: no check failed (warnings allowed). */
  ok: 0,
  /** The command failed: bad option or config file, DB error, invalid site field, a failed `doctor` check. */
  failure: 1,
  /** The command line is wrong: unknown command or flag, missing argument. */
  usage: 2,
  /** The site named by SITEKEY does not exist. */
  notFound: 3,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit status for a coded error. */
export function exitCodeOf(code: ServerErrorCode | string): ExitCode {
  if (code === 'SERVER_ERR_USAGE') return EXIT.usage;
  if (code === 'SERVER_ERR_SITE_NOT_FOUND') return EXIT.notFound;
  return EXIT.failure;
}
