/**
 * What a command prints: with `--json`, one JSON document on stdout (results and errors
 * alike, so a script reads one stream); otherwise text for people. Error lines go to stderr
 * in both modes. Nothing printed here may hold a secret unless the command exists to hand
 * one out once (`site create`, `site rotate-secret`).
 */
import { isServerError } from '../errors.js';
import { exitCodeOf } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';

export interface Output {
  /** True when the caller asked for `--json`. */
  readonly json: boolean;
  /** Print a command's result: `value` as JSON, or `text` (a function so it is built only when shown). */
  result(value: unknown, text: () => string): void;
  /** A line of text for people (stdout; never shown in JSON mode). */
  note(text: string): void;
  /** Report an error (coded or not) and return the exit status it calls for. */
  error(err: unknown): ExitCode;
}

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function createOutput(json: boolean, streams: Streams = process): Output {
  const line = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    json,
    result(value, text) {
      streams.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : line(text()));
    },
    note(text) {
      if (!json) streams.stdout.write(line(text));
    },
    error(err) {
      const coded = codedError(err);
      streams.stderr.write(coded ? `hurdle: ${coded.message} [${coded.code}]\n` : `hurdle: ${(err as Error)?.stack ?? String(err)}\n`);
      const code = coded?.code ?? 'SERVER_ERR_INTERNAL';
      if (json) streams.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: coded?.message ?? String((err as Error)?.message ?? err) } }, null, 2)}\n`);
      return exitCodeOf(code);
    },
  };
}

/** A server error, or any error with a string `code` (ring, shm), as code and message. */
function codedError(err: unknown): { code: string; message: string } | undefined {
  if (isServerError(err)) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && typeof e.message === 'string') return { code: e.code, message: e.message };
  return undefined;
}
