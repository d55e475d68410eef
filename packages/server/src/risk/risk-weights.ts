/**
 * The risk score's documented weights and thresholds (docs/risk.md explains each). The score
 * is built from "pressure": each signal's excess over a free allowance times its weight, per
 * group (address, prefix, site), turned into a risk in [0, 1] by `1 - exp(-pressure x s)` where
 * `s` is the site's sensitivity. Groups combine like independent chances:
 * `1 - (1 - a)(1 - p)(1 - s)`. The allowances are what one person, or one busy office
 * behind one address, plausibly does in a minute, so a normal visitor scores 0.
 */
import type { ProbeSignal } from '@hurdle/challenge';
import type { RiskSensitivity } from './site-risk-settings.js';

/** Free events per sliding minute before a signal adds pressure. */
export const RISK_ALLOWANCE = Object.freeze({
  addressIssues: 6,
  addressSolves: 2,
  addressFailures: 2,
  prefixIssues: 40,
  prefixSolves: 12,
  prefixFailures: 8,
  /**
   * Issues on the puzzle-free path (a visitor who asked for `pow` on a site that has slides):
   * the way in for people who cannot drag, a few of any network's visitors, and the door a farm
   * picks, since a proof of work always passes. A network may take that many a minute freely.
   */
  prefixPuzzleFree: 4,
  /**
   * Tokens won at the top paid step (`slide_pow`). An address is there only after about five
   * solves in the minute, past what a person or a busy office does: the step sells it one
   * token, and the next issue is refused.
   */
  addressTopSolves: 0,
  /**
   * Tokens won at the top step where the network's own risk put the visitor there: a network
   * that hovers at the top line (a farm spread over a /24 whose cost keeps it near the line)
   * is refused on its first such token. Tokens at the top because of one address's own
   * pressure do not count here, so one scripted address does not push its neighbours up.
   */
  prefixTopSolves: 0,
  /** Site failure rate counts only once the site saw this many issues in the minute. */
  siteMinIssues: 50,
  /** Failure share the site may have before it adds pressure (people fail puzzles too). */
  siteFailureShare: 0.5,
});

/** Pressure per event over the allowance. */
export const RISK_WEIGHTS = Object.freeze({
  addressIssues: 0.08,
  addressSolves: 0.35,
  /**
   * Per token won at `slide_pow` over the allowance: with the pressure that put a visitor at
   * the top step, one such token crosses the refusal line. A farm that pays the top step's cost
   * but solves too slowly to reach the solve-rate line is refused this way.
   */
  addressTopSolves: 0.6,
  addressFailures: 0.25,
  /** A replayed trace is a recording being reused: heavy, and no allowance. */
  addressReplays: 1.0,
  /**
   * Per pause the address served within the last hour (RISK_STRIKE_MS): a returning farm starts
   * at the top step (risk 0.63), where one token refuses it again.
   */
  addressRefusals: 1.0,
  /**
   * Per pause the network served within the last hour: its next visitors start at the top
   * step too, since a farm spread over it would otherwise come back to cheap tokens.
   */
  prefixRefusals: 1.0,
  prefixIssues: 0.02,
  prefixSolves: 0.1,
  prefixTopSolves: 1.0,
  prefixFailures: 0.06,
  /**
   * Per puzzle-free issue over the allowance: a network taking the side door about 10 times a
   * minute reaches the top step. A farm's own cost holds it near whatever line is drawn (each
   * step up slows it), so the line sits under the rate such a farm keeps at the slide step.
   */
  prefixPuzzleFree: 0.15,
  /** Per unit of failure share over the allowance (0..0.5). */
  siteFailureRate: 0.6,
  /** Verify only: how much of the trace risk (0..1) joins the score. */
  trace: 0.6,
  /** Verify only: a keyboard claim is the side door a script would pick. */
  keyboard: 0.1,
  /** Verify only: a slide answered sooner than `fastSolveMs` after it was issued. */
  fastSolve: 0.3,
  /**
   * Issue only, per answer of the address in the minute whose browser probe was flagged: its own
   * group, outside the address risk, so it climbs the ladder (slide, slide_pow) but never refuses.
   */
  addressProbeFlags: 0.45,
});

/**
 * Verify only: pressure per browser probe signal (docs/browser-probe.md says what each costs a
 * person). Each combines like the other answer evidence, `1 - (1 - w)` per signal, so a default
 * headless browser (webdriver, headless user agent, no window frame) scores about 0.1 and a
 * client that never ran the probe 0.6.
 */
export const PROBE_WEIGHTS: Readonly<Record<ProbeSignal, number>> = Object.freeze({
  /** No result: a client that is not the widget (or a widget older than the probe). */
  probe_missing: 0.4,
  /** Forged seal, moved from another challenge, or a digest that does not cover the trace sent. */
  probe_invalid: 0.5,
  /** A check computed wrong: not a browser engine, or one that blurs canvas reads (some privacy modes). */
  probe_mismatch: 0.3,
  /** More trace samples than the pointer or key events the widget saw. */
  trace_unbacked: 0.5,
  /** Slider events made by a script on the page (`isTrusted` false). */
  untrusted_events: 0.6,
  webdriver: 0.6,
  headless_ua: 0.6,
  /** Outer window size 0, or exactly the viewport on a desktop. */
  no_window_chrome: 0.3,
  screen_odd: 0.15,
  plugins_missing: 0.2,
  notification_odd: 0.3,
  brands_missing: 0.2,
  pointer_odd: 0.1,
  /** Informational (Safari has no getCoalescedEvents): counted in metrics, weighs nothing. */
  coalesced_missing: 0,
  probe_slow: 0.05,
});

/** Probe pressure (excluding a missing probe) at which an answer counts as a flag of its address. */
export const PROBE_FLAG_PRESSURE = 0.3;

/** A slide solved sooner than this after its issue adds `RISK_WEIGHTS.fastSolve`. */
export const FAST_SOLVE_MS = 900;

/** Pressure multiplier per site sensitivity. */
export const SENSITIVITY_FACTOR: Readonly<Record<RiskSensitivity, number>> = Object.freeze({ low: 0.5, normal: 1, high: 2 });

/** Risk at or above which each step of the ladder applies. */
export const ESCALATION_THRESHOLDS = Object.freeze({
  /** A slide puzzle even when the visitor (or the site's default) asked for invisible PoW. */
  slide: 0.3,
  /** The slide plus a costlier proof of work. */
  slidePow: 0.6,
  /** Refused for `RISK_PAUSE_MS` (429 + Retry-After), per address or per prefix that crossed it alone. */
  refuse: 0.85,
});

/**
 * Extra leading zero bits of proof of work per escalated step (each bit doubles the work):
 * `slideProof` is the proof on top of a slide at `slide_pow`; a proof-of-work-only path (a site
 * without slides, or a visitor who asked for `pow`, the puzzle-free path kept for people who
 * cannot drag) pays `powAtSlide` bits more where others get a slide and `powAtSlidePow` where
 * others get the slide plus a proof, so that path is never the cheaper one for a script.
 */
export const POW_EXTRA_BITS = Object.freeze({ powAtSlide: 3, slideProof: 4, powAtSlidePow: 6 });

/** How long a refused address or prefix stays refused the first time within an hour (then 2x, 4x, ... 16x). */
export const RISK_PAUSE_MS = 120_000;
