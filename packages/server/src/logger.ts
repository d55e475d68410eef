/**
 * Structured JSON logs (pino). Secrets, tokens and answers are never logged: request
 * logging carries only method, route, status and timing, and the redact list below is a
 * second line of defence for anything that ends up in a log object by mistake.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { ServerOptions } from './options.js';

export const REDACT_PATHS: readonly string[] = [
  'adminToken', '*.adminToken', 'secret', '*.secret', 'token', '*.token', 'response', '*.response',
  'answer', '*.answer', 'nonce', '*.nonce', 'password', '*.password',
  'req.headers.authorization', 'headers.authorization', 'req.headers.cookie',
  'body', 'req.body', '*.body',
];

/** The service's logger: JSON lines to stdout (or `destination`), secrets redacted. */
export function createLogger(options: Pick<ServerOptions, 'logLevel'>, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const config: pino.LoggerOptions = {
    level: options.logLevel,
    base: { pid: process.pid, ...bindings },
    redact: { paths: [...REDACT_PATHS], censor: '<redacted>' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(config) : pino(config, destination);
}
