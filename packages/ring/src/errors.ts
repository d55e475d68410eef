/**
 * Every error this package throws or reports is a {@link RingError} with a stable `code`.
 * Messages name the option or input at fault; they never contain keys' values.
 */
export const RING_ERROR_CODES = [
  /** The membership lists no node at all: nothing can be stored or read. */
  'RING_ERR_NO_NODES',
  /** Every node of the key's preference list is down or failed for this operation. */
  'RING_ERR_UNAVAILABLE',
  /** Fewer than `writeQuorum` nodes acknowledged a write. */
  'RING_ERR_QUORUM',
  /** Redis answered a command with an error (e.g. INCR on a non-integer value). */
  'RING_ERR_COMMAND',
  /** An option passed to a factory is invalid. */
  'RING_ERR_INVALID_OPTION',
  /** An argument passed to an operation is invalid (empty key, bad TTL, reserved value). */
  'RING_ERR_INVALID_ARGUMENT',
  /** ZooKeeper could not be reached within `connectTimeoutMs` at start. */
  'RING_ERR_ZK_UNREACHABLE',
  /** A znode under the membership root holds data that is not a valid node description (a warning). */
  'RING_ERR_BAD_ZNODE',
  /** The ring, membership or agent was closed. */
  'RING_ERR_CLOSED',
] as const;

/** The union of every code a {@link RingError} can carry. */
export type RingErrorCode = (typeof RING_ERROR_CODES)[number];

/** The one error class of `@hurdle/ring`; match on `code`, never on `message`. */
export class RingError extends Error {
  readonly code: RingErrorCode;

  constructor(code: RingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RingError';
    this.code = code;
  }
}

/** True when `err` is a {@link RingError} (optionally with the given code). */
export function isRingError(err: unknown, code?: RingErrorCode): err is RingError {
  return err instanceof RingError && (code === undefined || err.code === code);
}

export function invalidOption(name: string, value: unknown, expected: string): RingError {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  return new RingError('RING_ERR_INVALID_OPTION', `option ${name}: expected ${expected}, got ${shown}`);
}
