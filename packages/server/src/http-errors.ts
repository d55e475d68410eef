/**
 * Maps every error that can reach the HTTP layer to a status and a public `{ code, message }`
 * body. Bad input of any kind is a 4xx; only an unexpected bug is a 500.
 */
import { isChallengeError } from '@hurdle/challenge';
import type { ChallengeErrorCode } from '@hurdle/challenge';
import { httpStatusOf, isServerError, publicCodeOf } from './errors.js';

export interface HttpErrorBody {
  code: string;
  message: string;
  retry?: boolean;
}

export interface MappedError {
  status: number;
  body: HttpErrorBody;
  retryAfterS?: number;
}

const CHALLENGE_STATUS: Partial<Record<ChallengeErrorCode, number>> = {
  CHALLENGE_ERR_INVALID_OPTION: 500,
  CHALLENGE_ERR_STORE_UNAVAILABLE: 503,
  CHALLENGE_ERR_RENDER_FAILED: 503,
  CHALLENGE_ERR_CLOSED: 503,
};

/** Public code of a challenge error: `CHALLENGE_ERR_BAD_ANSWER` -> `bad_answer`. */
/** The one public code of a failed answer check (see ANSWER_CHECK_CODES of @hurdle/challenge). */
export const ANSWER_FAILED = 'failed';

/** The public code of a right answer to a round before the last: the next puzzle comes with it. */
export const NEXT_ROUND = 'next_round';

export function publicChallengeCode(code: string): string {
  return code.replace(/^CHALLENGE_ERR_/, '').toLowerCase();
}

export function mapError(err: unknown): MappedError {
  if (isServerError(err)) {
    const mapped: MappedError = { status: httpStatusOf(err.code), body: { code: publicCodeOf(err.code), message: err.message } };
    if (err.retryAfterS !== undefined) mapped.retryAfterS = err.retryAfterS;
    if (mapped.status === 503) mapped.body.retry = true;
    return mapped;
  }
  if (isChallengeError(err)) {
    const status = CHALLENGE_STATUS[err.code] ?? 400;
    const body: HttpErrorBody = { code: publicChallengeCode(err.code), message: err.message };
    if (status === 503) {
      body.retry = true;
      return { status, body, retryAfterS: 1 };
    }
    return { status, body };
  }
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: unknown };
  const message = typeof e?.message === 'string' ? e.message : 'bad request';
  if (e && e.validation !== undefined) {
    return { status: 400, body: { code: 'bad_request', message } };
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: 'body_too_large', message: 'request body is larger than the limit (option bodyLimitBytes)' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: 'unsupported_media_type', message: 'content type must be application/json (or application/x-www-form-urlencoded for /siteverify)' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { code: 'bad_json', message: 'body is empty but content-type is application/json' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { code: 'bad_json', message: 'body is not valid JSON' } };
    default:
      break;
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = typeof e.code === 'string' ? e.code.replace(/^FST_ERR_/, '').toLowerCase() : 'bad_request';
    return { status: e.statusCode, body: { code: e instanceof SyntaxError ? 'bad_json' : code, message } };
  }
  if (err instanceof SyntaxError) return { status: 400, body: { code: 'bad_json', message: 'body is not valid JSON' } };
  return { status: 500, body: { code: 'internal_error', message: 'internal error' } };
}
