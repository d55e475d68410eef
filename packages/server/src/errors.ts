/**
 * Coded errors of the Hurdle service. Every error the server raises carries a stable
 * `code`; the HTTP layer maps codes to a status and a public API code
 * (see {@link httpStatusOf} and {@link publicCodeOf}). Messages never contain secrets,
 * tokens or answers.
 */

/** All codes, in one list (kept in step with docs/error-codes.md by a test). */
export const SERVER_ERROR_CODES = Object.freeze([
  'SERVER_ERR_INVALID_OPTION',
  'SERVER_ERR_CONFIG_FILE',
  'SERVER_ERR_DB',
  'SERVER_ERR_DB_UNAVAILABLE',
  'SERVER_ERR_INSECURE_FILE',
  'SERVER_ERR_SITE_NOT_FOUND',
  'SERVER_ERR_SITE_EXISTS',
  'SERVER_ERR_INVALID_SITE',
  'SERVER_ERR_UNAUTHORIZED',
  'SERVER_ERR_BAD_REQUEST',
  'SERVER_ERR_NOT_FOUND',
  'SERVER_ERR_BODY_TOO_LARGE',
  'SERVER_ERR_UNSUPPORTED_MEDIA_TYPE',
  'SERVER_ERR_OVERLOADED',
  'SERVER_ERR_RATE_LIMITED',
  'SERVER_ERR_STORE_UNAVAILABLE',
  'SERVER_ERR_SITE_DISABLED',
  'SERVER_ERR_IPC_TIMEOUT',
  'SERVER_ERR_SHUTTING_DOWN',
  'SERVER_ERR_INVALID_SITEKEY',
  'SERVER_ERR_HOSTNAME_NOT_ALLOWED',
  'SERVER_ERR_RENDER_FAILED',
  'SERVER_ERR_INTERNAL',
  'SERVER_ERR_USAGE',
  'SERVER_ERR_STATE_STORE_IN_USE',
  'SERVER_ERR_RISK_REFUSED',
] as const);

/** Every code a {@link ServerError} can carry. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

const STATUS: Record<ServerErrorCode, number> = {
  SERVER_ERR_INVALID_OPTION: 400,
  SERVER_ERR_CONFIG_FILE: 400,
  SERVER_ERR_DB: 500,
  SERVER_ERR_DB_UNAVAILABLE: 503,
  SERVER_ERR_INSECURE_FILE: 500,
  SERVER_ERR_SITE_NOT_FOUND: 404,
  SERVER_ERR_SITE_EXISTS: 409,
  SERVER_ERR_INVALID_SITE: 400,
  SERVER_ERR_UNAUTHORIZED: 401,
  SERVER_ERR_BAD_REQUEST: 400,
  SERVER_ERR_NOT_FOUND: 404,
  SERVER_ERR_BODY_TOO_LARGE: 413,
  SERVER_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  SERVER_ERR_OVERLOADED: 503,
  SERVER_ERR_RATE_LIMITED: 429,
  SERVER_ERR_STORE_UNAVAILABLE: 503,
  SERVER_ERR_SITE_DISABLED: 403,
  SERVER_ERR_IPC_TIMEOUT: 503,
  SERVER_ERR_SHUTTING_DOWN: 503,
  SERVER_ERR_INVALID_SITEKEY: 400,
  SERVER_ERR_HOSTNAME_NOT_ALLOWED: 403,
  SERVER_ERR_RENDER_FAILED: 503,
  SERVER_ERR_INTERNAL: 500,
  // Raised by the command line only; an HTTP route never sees it.
  SERVER_ERR_USAGE: 400,
  SERVER_ERR_STATE_STORE_IN_USE: 409,
  SERVER_ERR_RISK_REFUSED: 429,
};

/** Public (HTTP API) code for each server code: short snake_case names. */
const PUBLIC: Record<ServerErrorCode, string> = {
  SERVER_ERR_INVALID_OPTION: 'invalid_option',
  SERVER_ERR_CONFIG_FILE: 'invalid_config',
  SERVER_ERR_DB: 'internal_error',
  SERVER_ERR_DB_UNAVAILABLE: 'config_db_unavailable',
  SERVER_ERR_INSECURE_FILE: 'internal_error',
  SERVER_ERR_SITE_NOT_FOUND: 'site_not_found',
  SERVER_ERR_SITE_EXISTS: 'site_exists',
  SERVER_ERR_INVALID_SITE: 'invalid_site',
  SERVER_ERR_UNAUTHORIZED: 'unauthorized',
  SERVER_ERR_BAD_REQUEST: 'bad_request',
  SERVER_ERR_NOT_FOUND: 'not_found',
  SERVER_ERR_BODY_TOO_LARGE: 'body_too_large',
  SERVER_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  SERVER_ERR_OVERLOADED: 'overloaded',
  SERVER_ERR_RATE_LIMITED: 'rate_limited',
  SERVER_ERR_STORE_UNAVAILABLE: 'store_unavailable',
  SERVER_ERR_SITE_DISABLED: 'site_disabled',
  SERVER_ERR_IPC_TIMEOUT: 'unavailable',
  SERVER_ERR_SHUTTING_DOWN: 'shutting_down',
  SERVER_ERR_INVALID_SITEKEY: 'invalid_sitekey',
  SERVER_ERR_HOSTNAME_NOT_ALLOWED: 'hostname_not_allowed',
  SERVER_ERR_RENDER_FAILED: 'render_failed',
  SERVER_ERR_INTERNAL: 'internal_error',
  SERVER_ERR_USAGE: 'bad_request',
  SERVER_ERR_STATE_STORE_IN_USE: 'state_store_in_use',
  SERVER_ERR_RISK_REFUSED: 'risk_refused',
};

/** An error of the Hurdle service with a stable {@link ServerErrorCode}. */
export class ServerError extends Error {
  readonly code: ServerErrorCode;
  /** Seconds a client should wait before retrying (sent as `Retry-After`), when relevant. */
  readonly retryAfterS: number | undefined;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown; retryAfterS?: number }) {
    // A 4xx or a shed request is an answer to the client, not a fault: nothing logs its stack,
    // and capturing one costs several µs (an eighth of a worker's CPU when it answers 404s),
    // which a flood of 429s or 503s should not cost. Faults (5xx) keep theirs for the error log.
    const answer = STATUS[code] < 500 || code === 'SERVER_ERR_OVERLOADED';
    const limit = Error.stackTraceLimit;
    if (answer) Error.stackTraceLimit = 0;
    try {
      super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      if (answer) Error.stackTraceLimit = limit;
    }
    this.name = 'ServerError';
    this.code = code;
    this.retryAfterS = options?.retryAfterS;
  }
}

/** HTTP status for a server error code. */
export function httpStatusOf(code: ServerErrorCode): number {
  return STATUS[code];
}

/** Public API error code (the `code` field of a 4xx/5xx JSON body) for a server code. */
export function publicCodeOf(code: ServerErrorCode): string {
  return PUBLIC[code];
}

/** True when `err` is a {@link ServerError} (also across module copies). */
export function isServerError(err: unknown): err is ServerError {
  return err instanceof ServerError
    || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ServerError'
      && typeof (err as { code?: unknown }).code === 'string'
      && (err as { code: string }).code.startsWith('SERVER_ERR_'));
}
