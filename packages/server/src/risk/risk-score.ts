/**
 * The risk score itself: pure functions from the counted signals (and, at verify, the
 * challenge's own evidence) to a risk in [0, 1] and the reasons that raised it. Weights and
 * allowances are in `risk-weights.ts`; the site's settings pick which groups count.
 */
import type { ProbeSignal } from '@hurdle/challenge';
import { RISK_ALLOWANCE as A, FAST_SOLVE_MS, PROBE_WEIGHTS, RISK_WEIGHTS as W, SENSITIVITY_FACTOR } from './risk-weights.js';
import type { SiteRiskSettings } from './site-risk-settings.js';

/**
 * Sliding one-minute counts the score reads (see risk-counters.ts). `topSolves` are the tokens
 * won on challenges issued at the top paid step (`slide_pow`).
 */
export interface RiskSignals {
  readonly address: {
    readonly issues: number; readonly solves: number; readonly topSolves: number; readonly failures: number; readonly replays: number; readonly refusals: number;
    /** Answers whose browser probe was flagged (risk-weights.ts PROBE_FLAG_PRESSURE); absent counts 0. */
    readonly probeFlags?: number | undefined;
  };
  readonly prefix: {
    readonly issues: number; readonly solves: number; readonly topSolves: number; readonly failures: number; readonly refusals: number;
    /** Issues on the puzzle-free path of a site that has puzzles; absent counts 0. */
    readonly puzzleFreeIssues?: number | undefined;
  };
  readonly site: { readonly issues: number; readonly failures: number };
}

/** Stable names of what raised a score (siteverify `reasons`, metrics labels). */
export type RiskReason =
  | 'address_issues' | 'address_solves' | 'address_top_solves' | 'address_failures' | 'address_replays' | 'address_refusals'
  | 'prefix_issues' | 'prefix_solves' | 'prefix_top_solves' | 'prefix_failures' | 'prefix_refusals' | 'prefix_puzzle_free'
  | 'site_failure_rate'
  | 'trace_distance' | 'keyboard_claim' | 'fast_solve'
  | 'address_probe_flags' | ProbeSignal;

export interface RiskAssessment {
  /** Combined risk in [0, 1]. */
  readonly risk: number;
  /** The address group's share alone (what may refuse the address). */
  readonly addressRisk: number;
  /** The prefix group's share alone (what may refuse the whole prefix). */
  readonly prefixRisk: number;
  /** Reasons that added pressure, largest first. */
  readonly reasons: readonly RiskReason[];
}

const over = (value: number, allowance: number): number => (value > allowance ? value - allowance : 0);
const toRisk = (pressure: number, factor: number): number => 1 - Math.exp(-pressure * factor);

const NO_REASONS: readonly RiskReason[] = Object.freeze([]);

/**
 * Risk of an issue request from its address, prefix and site signals. It runs on every
 * challenge request, so it sums plainly and lists only the reasons that count (a stranger's
 * request allocates nothing but the result).
 */
export function assessSignals(s: RiskSignals, settings: SiteRiskSettings): RiskAssessment {
  const f = SENSITIVITY_FACTOR[settings.sensitivity];
  let parts: [RiskReason, number][] | undefined;
  const note = (reason: RiskReason, pressure: number): number => {
    if (pressure > REASON_MIN) (parts ??= []).push([reason, pressure]);
    return pressure;
  };
  let addressPressure = 0;
  if (settings.checks.address) {
    const a = s.address;
    addressPressure = note('address_issues', W.addressIssues * over(a.issues, A.addressIssues))
      + note('address_solves', W.addressSolves * over(a.solves, A.addressSolves))
      + note('address_top_solves', W.addressTopSolves * over(a.topSolves, A.addressTopSolves))
      + note('address_failures', W.addressFailures * over(a.failures, A.addressFailures))
      + note('address_replays', W.addressReplays * a.replays)
      + note('address_refusals', W.addressRefusals * a.refusals);
  }
  let prefixPressure = 0;
  if (settings.checks.prefix) {
    const p = s.prefix;
    prefixPressure = note('prefix_issues', W.prefixIssues * over(p.issues, A.prefixIssues))
      + note('prefix_solves', W.prefixSolves * over(p.solves, A.prefixSolves))
      + note('prefix_top_solves', W.prefixTopSolves * over(p.topSolves, A.prefixTopSolves))
      + note('prefix_failures', W.prefixFailures * over(p.failures, A.prefixFailures))
      + note('prefix_puzzle_free', W.prefixPuzzleFree * over(p.puzzleFreeIssues ?? 0, A.prefixPuzzleFree))
      + note('prefix_refusals', W.prefixRefusals * p.refusals);
  }
  let sitePressure = 0;
  if (settings.checks.site && s.site.issues >= A.siteMinIssues) {
    sitePressure = note('site_failure_rate', W.siteFailureRate * over(s.site.failures / s.site.issues, A.siteFailureShare));
  }
  // A group of its own, outside the address risk: flagged probes escalate the address's next
  // challenges but never refuse it (a person in an odd browser pays more work, is never locked out).
  let probePressure = 0;
  const flags = s.address.probeFlags ?? 0;
  if (settings.checks.probe && flags > 0) probePressure = note('address_probe_flags', W.addressProbeFlags * flags);
  const addressRisk = toRisk(addressPressure, f);
  const prefixRisk = toRisk(prefixPressure, f);
  const siteRisk = toRisk(sitePressure, f);
  const risk = 1 - (1 - addressRisk) * (1 - prefixRisk) * (1 - siteRisk) * (1 - toRisk(probePressure, f));
  return { risk, addressRisk, prefixRisk, reasons: parts === undefined ? NO_REASONS : reasonsOf(parts) };
}

/** What one answer adds to the issue's assessment at verify. */
export interface AnswerEvidence {
  /** Trace risk in [0, 1] (trace-score.ts); undefined for a proof-of-work answer. */
  readonly traceRisk?: number | undefined;
  readonly keyboard: boolean;
  /** Milliseconds from issue to answer. */
  readonly elapsedMs: number;
  readonly type: 'slide' | 'pow';
  /** The browser probe's signals (browser-probe.ts); undefined when it was not weighed. */
  readonly probe?: readonly ProbeSignal[] | undefined;
}

/** The risk of a passed answer: the issue's risk, raised by the answer's own evidence. */
export function assessAnswer(issue: { readonly risk: number; readonly reasons: readonly RiskReason[] }, e: AnswerEvidence, settings: SiteRiskSettings): { risk: number; reasons: readonly RiskReason[] } {
  const parts: [RiskReason, number][] = [];
  if (settings.checks.trace && e.type === 'slide') {
    if (e.traceRisk !== undefined) parts.push(['trace_distance', W.trace * e.traceRisk]);
    if (e.keyboard) parts.push(['keyboard_claim', W.keyboard]);
    if (e.elapsedMs < FAST_SOLVE_MS) parts.push(['fast_solve', W.fastSolve]);
  }
  parts.push(...probeParts(e.probe, settings));
  // These are chances already (each in [0, 1)), so they combine like the groups do.
  let keep = 1 - issue.risk;
  for (const [, p] of parts) keep *= 1 - Math.min(0.95, p * SENSITIVITY_FACTOR[settings.sensitivity]);
  const own = reasonsOf(parts);
  return { risk: 1 - keep, reasons: [...own, ...issue.reasons.filter((r) => !own.includes(r))] };
}

/** The probe signals that count on this site, with their weights. */
export function probeParts(signals: readonly ProbeSignal[] | undefined, settings: SiteRiskSettings): [ProbeSignal, number][] {
  if (signals === undefined || !settings.checks.probe) return [];
  return signals.filter((s) => settings.checks[s]).map((s) => [s, PROBE_WEIGHTS[s]]);
}

/** Pressure under which a signal is not named among the reasons. */
const REASON_MIN = 0.01;

function reasonsOf(parts: readonly [RiskReason, number][]): RiskReason[] {
  return parts.filter(([, p]) => p > REASON_MIN).sort((a, b) => b[1] - a[1]).map(([r]) => r);
}

/** siteverify's `score`: 1.0 very likely a person, 0.0 very likely a bot, two decimals. */
export function publicScore(risk: number): number {
  return Math.round((1 - Math.min(1, Math.max(0, risk))) * 100) / 100;
}
