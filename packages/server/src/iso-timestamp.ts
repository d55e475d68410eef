/**
 * ISO 8601 timestamps (`2026-12-04T02:16:07.175Z`, what `Date#toISOString` writes) for the
 * request path. `new Date(ms).toISOString()` costs about a microsecond, most of a siteverify
 * answer's own work; timestamps that close in time share their minute, so the
 * `YYYY-MM-DDTHH:MM:` prefix is formatted once per minute and only seconds and milliseconds
 * are written per call.
 */

let cachedMinute = Number.NaN;
let cachedPrefix = '';

/** Times outside these are left to `Date` (its year then has six digits or a sign). */
const MIN_MS = Date.UTC(0, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `new Date(ms).toISOString()` for an integer epoch ms from year 0000 to 9999. */
export function isoTimestamp(ms: number): string {
  if (!Number.isInteger(ms) || ms < MIN_MS || ms > MAX_MS) return new Date(ms).toISOString();
  const minute = Math.floor(ms / 60_000);
  if (minute !== cachedMinute) {
    cachedPrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    cachedMinute = minute;
  }
  const inMinute = ms - minute * 60_000;
  const s = Math.floor(inMinute / 1000);
  const milli = inMinute - s * 1000;
  return `${cachedPrefix}${s < 10 ? '0' : ''}${s}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
