/**
 * Per-site analytics, the counting side: each worker adds challenges, passes, failures (by
 * reason), escalations (by level), refusals (by scope and reason) and verify-time scores (in
 * fixed buckets) per minute, site, hostname and action into a small in-memory table,
 * which it hands to the primary every few seconds over IPC. Counting is a `Map` update on the
 * request path; nothing here touches the config DB (the primary's {@link AnalyticsWriter}
 * does, in batches). The tally also holds the sketches of the networks behind each site's
 * refusals, failures and escalations (risk/prefix-tally.ts), reported with the cells.
 */

import { refusalReason } from './analytics-schema.js';
import { networkPrefix } from './risk/network-prefix.js';
import type { PrefixEventKind } from './risk/prefix-sketch.js';
import { PrefixTally } from './risk/prefix-tally.js';
import type { PrefixDelta } from './risk/prefix-tally.js';
import { SCORE_BUCKETS, emptyScores, scoreBucket } from './risk/score-buckets.js';

/** Minute and hour buckets, epoch ms. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** One counted cell: a minute, a site, a hostname, an action and (for failures) a reason. */
export interface AnalyticsDelta {
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
  /** The failure reason; '' on the cell of challenges, passes and escalations. */
  readonly reason: string;
  challenges: number;
  passes: number;
  failures: number;
  /** Every step above the base (slide, slide_pow, refuse). */
  escalations: number;
  escalationsSlide: number;
  escalationsSlidePow: number;
  /** On a cell whose reason is `refused:<scope>:<reason>`. */
  refusals: number;
  /** Passed answers by verify-time score bucket (risk/score-buckets.ts). */
  scores: number[];
}

/** Where one counted event belongs. */
export interface AnalyticsSubject {
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
}

/** Longest hostname, action and reason kept; longer ones are cut (they come from requests). */
const MAX_LABEL_CHARS = 100;
/**
 * Cells kept between two reports. A flood of distinct hostnames or actions must not grow a
 * worker's memory without bound: past this, events of new cells are counted under one
 * overflow cell per site (hostname and action '*'), so totals stay right.
 */
export const MAX_TALLY_CELLS = 10_000;

const clip = (s: string): string => (s.length > MAX_LABEL_CHARS ? s.slice(0, MAX_LABEL_CHARS) : s);

/** A worker's (or one process's) counts since its last report. */
export class AnalyticsTally {
  readonly #cells = new Map<string, AnalyticsDelta>();
  readonly #now: () => number;
  /** The networks behind each site's refusals, failures and escalations (top 20 per site and minute). */
  readonly networks: PrefixTally;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.networks = new PrefixTally(now);
  }

  /** A challenge was issued. */
  challenge(s: AnalyticsSubject): void {
    this.#cell(s, '').challenges += 1;
  }

  /** An answer passed. */
  pass(s: AnalyticsSubject): void {
    this.#cell(s, '').passes += 1;
  }

  /** An answer failed for `reason` (the service's reason code, e.g. `wrong_answer`). */
  fail(s: AnalyticsSubject, reason: string): void {
    this.#cell(s, reason === '' ? 'unknown' : reason).failures += 1;
  }

  /**
   * The risk engine asked this visitor for more than the site's usual challenge (`slide`,
   * `slide_pow`), or refused it (`refuse`: counted with {@link refusal} too).
   */
  escalation(s: AnalyticsSubject, level: 'slide' | 'slide_pow' | 'refuse'): void {
    const cell = this.#cell(s, '');
    cell.escalations += 1;
    if (level === 'slide') cell.escalationsSlide += 1;
    else if (level === 'slide_pow') cell.escalationsSlidePow += 1;
  }

  /** The risk engine refused an issue request (429) for `scope`, `reason` leading. */
  refusal(s: AnalyticsSubject, scope: string, reason: string): void {
    this.#cell(s, refusalReason(scope, reason)).refusals += 1;
  }

  /** A passed answer's verify-time score (siteverify's `score`, 0.0 .. 1.0). */
  score(s: AnalyticsSubject, score: number): void {
    const cell = this.#cell(s, '');
    const i = scoreBucket(score);
    cell.scores[i] = (cell.scores[i] ?? 0) + 1;
  }

  /**
   * A refusal, answer failure or escalation from `address` on `sitekey`, counted for its
   * network (/24 or /48); the address itself is not kept.
   */
  offense(sitekey: string, address: string, kind: PrefixEventKind): void {
    this.networks.count(sitekey, networkPrefix(address), kind);
  }

  /** Cells and network sketches counted since the last drain. */
  get size(): number {
    return this.#cells.size + this.networks.size;
  }

  /** The network counts since the last drain, and start afresh. */
  drainNetworks(): PrefixDelta[] {
    return this.networks.drain();
  }

  /** Everything counted since the last drain, and start afresh. */
  drain(): AnalyticsDelta[] {
    const out = [...this.#cells.values()];
    this.#cells.clear();
    return out;
  }

  #cell(s: AnalyticsSubject, reason: string): AnalyticsDelta {
    const minute = Math.floor(this.#now() / MINUTE_MS) * MINUTE_MS;
    let hostname = clip(s.hostname);
    let action = clip(s.action);
    const r = clip(reason);
    let key = `${minute}\n${s.sitekey}\n${hostname}\n${action}\n${r}`;
    let cell = this.#cells.get(key);
    if (cell === undefined && this.#cells.size >= MAX_TALLY_CELLS) {
      hostname = '*';
      action = '*';
      key = `${minute}\n${s.sitekey}\n*\n*\n${r}`;
      cell = this.#cells.get(key);
    }
    if (cell === undefined) {
      cell = { minute, sitekey: s.sitekey, hostname, action, reason: r, ...emptyCounts() };
      this.#cells.set(key, cell);
    }
    return cell;
  }
}

/** The counts of a fresh cell. */
export function emptyCounts(): Pick<AnalyticsDelta, 'challenges' | 'passes' | 'failures' | 'escalations' | 'escalationsSlide' | 'escalationsSlidePow' | 'refusals' | 'scores'> {
  return { challenges: 0, passes: 0, failures: 0, escalations: 0, escalationsSlide: 0, escalationsSlidePow: 0, refusals: 0, scores: emptyScores() };
}

/** Add `from` into `into` by cell (the primary merges the workers' reports with it). */
export function mergeDeltas(into: Map<string, AnalyticsDelta>, from: readonly AnalyticsDelta[]): void {
  for (const d of from) {
    const key = `${d.minute}\n${d.sitekey}\n${d.hostname}\n${d.action}\n${d.reason}`;
    const cell = into.get(key);
    if (cell === undefined) {
      into.set(key, { ...d, scores: [...d.scores] });
    } else {
      cell.challenges += d.challenges;
      cell.passes += d.passes;
      cell.failures += d.failures;
      cell.escalations += d.escalations;
      cell.escalationsSlide += d.escalationsSlide;
      cell.escalationsSlidePow += d.escalationsSlidePow;
      cell.refusals += d.refusals;
      for (let i = 0; i < SCORE_BUCKETS; i++) cell.scores[i] = (cell.scores[i] ?? 0) + (d.scores[i] ?? 0);
    }
  }
}

/** True when `value` is a well-formed report cell (IPC input is checked, not trusted). */
export function isAnalyticsDelta(value: unknown): value is AnalyticsDelta {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  return Number.isSafeInteger(d['minute']) && typeof d['sitekey'] === 'string' && typeof d['hostname'] === 'string'
    && typeof d['action'] === 'string' && typeof d['reason'] === 'string'
    && count(d['challenges']) && count(d['passes']) && count(d['failures']) && count(d['escalations'])
    && count(d['escalationsSlide']) && count(d['escalationsSlidePow']) && count(d['refusals'])
    && Array.isArray(d['scores']) && d['scores'].length === SCORE_BUCKETS && (d['scores'] as unknown[]).every(count);
}
