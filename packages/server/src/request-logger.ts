/**
 * A per-request logger that creates its pino child (with the request id binding) only when
 * a line is really written. Fastify makes a child logger for every request; pino serialises
 * (and redacts) the child's bindings eagerly, which is a measurable share of a cheap
 * request's CPU although almost every request logs nothing at the configured level.
 */
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, Logger } from 'pino';

type LogFn = (...args: unknown[]) => void;

/** The subset of a pino logger that Fastify and the handlers use on `req.log`. */
export class LazyRequestLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    const logger = this.#child ?? this.#parent;
    if (!logger.isLevelEnabled(level)) return;
    (this.#real()[level] as LogFn)(...args);
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {
    // Nothing is written at level silent.
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options);
  }

  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.#real().bindings();
  }

  get level(): LevelWithSilentOrString {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#real().level = level;
  }
}

/** Fastify `childLoggerFactory`: a {@link LazyRequestLogger} instead of an eager pino child. */
export function lazyChildLoggerFactory(logger: unknown, bindings: Bindings, options: ChildLoggerOptions): LazyRequestLogger {
  return new LazyRequestLogger(logger as Logger, bindings, options);
}
