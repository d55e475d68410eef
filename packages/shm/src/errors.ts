/**
 * Every error this package throws is a {@link ShmError} with a stable `code`.
 * Messages name the option or input at fault; they never contain stored values.
 */

/** The stable error codes of `@hurdle/shm`. */
export const SHM_ERROR_CODES = [
  'SHM_ERR_INVALID_OPTION',
  'SHM_ERR_INVALID_KEY',
  'SHM_ERR_INVALID_VALUE',
  'SHM_ERR_KEY_TOO_LARGE',
  'SHM_ERR_VALUE_TOO_LARGE',
  'SHM_ERR_SEGMENT_FULL',
  'SHM_ERR_SEGMENT_NOT_FOUND',
  'SHM_ERR_SEGMENT_IN_USE',
  'SHM_ERR_VERSION_MISMATCH',
  'SHM_ERR_SEGMENT_CORRUPT',
  'SHM_ERR_CLOSED',
  'SHM_ERR_NOT_A_NUMBER',
  'SHM_ERR_LOCK_TIMEOUT',
  'SHM_ERR_NATIVE',
] as const;

/** Union of every code a {@link ShmError} can carry. */
export type ShmErrorCode = (typeof SHM_ERROR_CODES)[number];

/** Code of the one warning emitted when the native addon cannot be loaded. */
export const SHM_WARN_NO_NATIVE = 'SHM_WARN_NO_NATIVE';

/** An error from `@hurdle/shm`; match on `code`, never on `message`. */
export class ShmError extends Error {
  readonly code: ShmErrorCode;

  constructor(code: ShmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShmError';
    this.code = code;
  }
}

/** True when `err` is a {@link ShmError}, optionally with the given code. */
export function isShmError(err: unknown, code?: ShmErrorCode): err is ShmError {
  return err instanceof ShmError && (code === undefined || err.code === code);
}
