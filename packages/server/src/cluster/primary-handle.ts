/** What `hurdle start` holds of a running primary, however it serves (cluster or one process). */
export interface PrimaryHandle {
  /** Resolves with the port once every worker listens. */
  readonly listening: Promise<number>;
  /** Graceful stop: stop accepting, drain, exit workers, release segments. */
  stop(): Promise<void>;
}
