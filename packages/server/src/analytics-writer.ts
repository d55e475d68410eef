/**
 * Per-site analytics, the writing side (the primary, or the one process that serves alone):
 * merges the workers' reports in memory and writes them to the config DB in one batch every
 * `flushIntervalMs`, as minute cells and as hour cells, then prunes what is past keeping
 * (minutes after a day, hours after 90 days). Requests never wait on it: a report is a
 * `Map` merge, the DB write runs on a timer.
 *
 * The networks behind refusals, failures and escalations (risk/prefix-batch.ts) ride along:
 * each site's minute is written once it is over, as at most 20 rows of keyed hashes
 * (risk/prefix-hash.ts), and kept a day like the minute cells.
 *
 * Failure model: a failed write keeps the batch and merges it into the next one (bounded by
 * {@link MAX_PENDING_CELLS}; past that the oldest minute is dropped and counted in
 * `dropped`), so a DB outage loses nothing short of that. A crash loses at most one
 * interval's counts; a graceful stop flushes.
 */
import type { Logger } from 'pino';
import type { AnalyticsRow } from './analytics-schema.js';
import type { ConfigDb } from './config-db.js';
import { PrefixBatch } from './risk/prefix-batch.js';
import { DAY_MS, PrefixHasher, prefixKeyName } from './risk/prefix-hash.js';
import type { PrefixDelta } from './risk/prefix-tally.js';
import type { RiskPrefixQuery, RiskPrefixRow } from './risk-prefix-schema.js';
import { HOUR_MS, MINUTE_MS, mergeDeltas } from './site-analytics.js';
import type { AnalyticsDelta } from './site-analytics.js';

/** Minute cells are kept for a day, hour cells for 90 days. */
export const MINUTE_RETENTION_MS = 24 * HOUR_MS;
export const HOUR_RETENTION_MS = 90 * 24 * HOUR_MS;
/** Cells waiting for the DB, at most (about 20 MB at worst); see the failure model above. */
export const MAX_PENDING_CELLS = 100_000;
/** How often old cells are pruned (a prune is one indexed DELETE). */
const PRUNE_EVERY_MS = 10 * MINUTE_MS;

export interface AnalyticsWriterOptions {
  readonly db: ConfigDb;
  readonly logger: Logger;
  /** Time between two batches. @default 5000 */
  readonly flushIntervalMs?: number;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
}

export class AnalyticsWriter {
  readonly #db: ConfigDb;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #now: () => number;
  #pending = new Map<string, AnalyticsDelta>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #lastPruneAt = 0;
  #failing = false;
  readonly #networks = new PrefixBatch();
  readonly #hasher: PrefixHasher;
  /** Set by {@link stop}: the minutes still open are written too. */
  #final = false;
  /** Cells dropped because the DB was down too long (see the failure model). */
  dropped = 0;
  /** Batches written. */
  batches = 0;

  constructor(options: AnalyticsWriterOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#flushIntervalMs = options.flushIntervalMs ?? 5000;
    if (!Number.isInteger(this.#flushIntervalMs) || this.#flushIntervalMs < 10) {
      throw new TypeError(`AnalyticsWriter: flushIntervalMs must be an integer >= 10, got ${String(options.flushIntervalMs)}`);
    }
    this.#now = options.now ?? Date.now;
    this.#hasher = new PrefixHasher(this.#db);
  }

  /** Start the batch timer. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.#flushIntervalMs);
    this.#timer.unref();
  }

  /** Take a report (a worker's drained tally). */
  add(deltas: readonly AnalyticsDelta[]): void {
    mergeDeltas(this.#pending, deltas);
    this.#bound();
  }

  /** Take a report's network counts (a worker's drained {@link PrefixTally}). */
  addNetworks(deltas: readonly PrefixDelta[]): void {
    this.#networks.add(deltas);
  }

  /** Cells waiting for the next batch. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Network report entries dropped while too many site-minutes were held. */
  get droppedNetworks(): number {
    return this.#networks.dropped;
  }

  /** One site's networks held in memory (the minutes not yet written), hashed as they will be stored. */
  async heldNetworks(q: RiskPrefixQuery): Promise<RiskPrefixRow[]> {
    return this.#hashed(this.#networks.held(q.sitekey, q.fromMs, q.toMs));
  }

  /** Write what is pending now (one batch; concurrent calls share it). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#pending.size === 0 && !this.#networks.due(this.#now(), this.#final) && this.#now() - this.#lastPruneAt < PRUNE_EVERY_MS) return;
    this.#writing = this.#write().finally(() => { this.#writing = undefined; });
    await this.#writing;
  }

  /** Stop the timer and write what is left (graceful stop; before the DB closes). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#final = true;
    await this.flush();
  }

  async #write(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    if (batch.size > 0) {
      try {
        await this.#db.addAnalytics(rowsOf(batch.values()));
        this.batches += 1;
        if (this.#failing) this.#logger.info({ event: 'analytics_write_recovered' }, 'analytics writes to the config DB work again');
        this.#failing = false;
      } catch (err) {
        // Kept for the next batch: merged back under whatever arrived meanwhile.
        mergeDeltas(this.#pending, [...batch.values()]);
        this.#bound();
        if (!this.#failing) this.#logger.warn({ event: 'analytics_write_failed', err: { message: (err as Error).message }, pending: this.#pending.size }, 'analytics batch not written to the config DB; kept for the next one');
        this.#failing = true;
        return;
      }
    }
    const t = this.#now();
    const networks = this.#networks.take(t, this.#final);
    if (networks.length > 0) {
      try {
        await this.#db.addRiskPrefixes(await this.#hashed(networks));
      } catch (err) {
        this.#networks.add(networks);
        if (!this.#failing) this.#logger.warn({ event: 'analytics_write_failed', err: { message: (err as Error).message }, pending: this.#networks.size }, 'network counts not written to the config DB; kept for the next batch');
        this.#failing = true;
        return;
      }
    }
    if (t - this.#lastPruneAt >= PRUNE_EVERY_MS) {
      this.#lastPruneAt = t;
      await this.#db.pruneAnalytics(t - MINUTE_RETENTION_MS, t - HOUR_RETENTION_MS).catch((err: unknown) => {
        this.#logger.warn({ event: 'analytics_prune_failed', err: { message: (err as Error).message } }, 'old analytics rows not pruned; retried later');
      });
      // The network rows go with the minute cells; a day's hashing key once no row of its day
      // can be left (yesterday's rows live into today, so yesterday's key stays until tomorrow).
      await this.#db.pruneRiskPrefixes(t - MINUTE_RETENTION_MS, prefixKeyName(Math.floor(t / DAY_MS) - 1)).catch((err: unknown) => {
        this.#logger.warn({ event: 'analytics_prune_failed', err: { message: (err as Error).message } }, 'old network rows not pruned; retried later');
      });
    }
  }

  /** Report entries as rows: each network by its day's keyed hash, never the prefix. */
  async #hashed(deltas: readonly PrefixDelta[]): Promise<RiskPrefixRow[]> {
    const rows = new Map<string, RiskPrefixRow>();
    for (const d of deltas) {
      const network = await this.#hasher.hash(d.prefix, d.minute);
      const key = `${d.sitekey}\n${d.minute}\n${network}`;
      const had = rows.get(key);
      // Two prefixes with one hash (a 72-bit collision) add up rather than break the upsert.
      rows.set(key, {
        sitekey: d.sitekey, bucket: d.minute, network,
        refusals: d.refusals + (had?.refusals ?? 0), failures: d.failures + (had?.failures ?? 0), escalations: d.escalations + (had?.escalations ?? 0),
      });
    }
    return [...rows.values()];
  }

  #bound(): void {
    if (this.#pending.size <= MAX_PENDING_CELLS) return;
    const minutes = [...new Set([...this.#pending.values()].map((d) => d.minute))].sort((a, b) => a - b);
    for (const minute of minutes) {
      if (this.#pending.size <= MAX_PENDING_CELLS) break;
      for (const [key, d] of this.#pending) {
        if (d.minute !== minute) continue;
        this.#pending.delete(key);
        this.dropped += 1;
      }
    }
  }
}

/** The DB rows of merged minute cells: each as a minute row and summed into its hour row. */
export function rowsOf(cells: Iterable<AnalyticsDelta>): AnalyticsRow[] {
  const hours = new Map<string, AnalyticsDelta>();
  const out: AnalyticsRow[] = [];
  for (const c of cells) {
    out.push(rowOf('minute', c));
    mergeDeltas(hours, [{ ...c, minute: Math.floor(c.minute / HOUR_MS) * HOUR_MS }]);
  }
  for (const h of hours.values()) {
    out.push(rowOf('hour', h));
  }
  return out;
}

function rowOf(resolution: AnalyticsRow['resolution'], c: AnalyticsDelta): AnalyticsRow {
  const { minute, ...rest } = c;
  return { resolution, bucket: minute, ...rest, scores: [...c.scores] };
}
