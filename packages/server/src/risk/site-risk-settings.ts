/**
 * A site's risk settings (the `risk` field of a site in the config DB and the admin API): how
 * sensitive the score is, which checks count, and the lowest score siteverify accepts per action.
 */
import { PROBE_SIGNALS } from '@hurdle/challenge';
import type { ProbeSignal } from '@hurdle/challenge';
import { ServerError } from '../errors.js';

/** How strongly the signals move the score: `low` halves them, `high` doubles them. */
export type RiskSensitivity = 'low' | 'normal' | 'high';
export const RISK_SENSITIVITIES: readonly RiskSensitivity[] = Object.freeze(['low', 'normal', 'high']);

/**
 * One switch per signal group, and one per browser probe signal (`webdriver`, `probe_missing`,
 * ... see PROBE_SIGNALS); a check that is off adds nothing to the score.
 */
export interface RiskChecks extends Readonly<Record<ProbeSignal, boolean>> {
  /** Issues, solves and failures of the client address. */
  readonly address: boolean;
  /** The same over the client's network (/24 IPv4, /48 IPv6). */
  readonly prefix: boolean;
  /** The site's own failure rate under load (an attack in progress raises every score a little). */
  readonly site: boolean;
  /** The trace's distance from recorded human drags, replays and keyboard claims (verify). */
  readonly trace: boolean;
  /** Whether the top of the ladder refuses for a while (429); off, it stops at the costliest puzzle. */
  readonly refuse: boolean;
  /** The browser probe as a whole (verify evidence and flagged answers at issue); each signal has its own switch too. */
  readonly probe: boolean;
}

export interface SiteRiskSettings {
  /** @default 'normal' */
  readonly sensitivity: RiskSensitivity;
  /** @default every check on */
  readonly checks: RiskChecks;
  /**
   * Lowest `score` (0.0 bot .. 1.0 human) siteverify accepts, per action; `*` applies to an
   * action not listed. A token under it answers `success: false`, `score-too-low`. @default {}
   */
  readonly minScore: Readonly<Record<string, number>>;
}

export const RISK_CHECK_NAMES = Object.freeze(['address', 'prefix', 'site', 'trace', 'refuse', 'probe', ...PROBE_SIGNALS] as const);

export const DEFAULT_SITE_RISK: SiteRiskSettings = Object.freeze({
  sensitivity: 'normal',
  checks: Object.freeze(Object.fromEntries(RISK_CHECK_NAMES.map((name) => [name, true])) as unknown as RiskChecks),
  minScore: Object.freeze({}),
});

const ACTION = /^([A-Za-z0-9_-]{0,32}|\*)$/;

function bad(expected: string): ServerError {
  return new ServerError('SERVER_ERR_INVALID_SITE', `site field 'risk' must be ${expected}`);
}

/**
 * Validate admin input (missing fields take their defaults) and return frozen settings. Throws
 * SERVER_ERR_INVALID_SITE naming the bad part.
 */
export function validateSiteRisk(input: unknown): SiteRiskSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('an object { sensitivity?, checks?, minScore? }');
  const { sensitivity, checks, minScore, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw bad(`an object with only sensitivity, checks and minScore; got '${extra[0]?.slice(0, 40) ?? ''}'`);
  if (sensitivity !== undefined && !RISK_SENSITIVITIES.includes(sensitivity as RiskSensitivity)) {
    throw bad(`an object whose 'sensitivity' is one of ${RISK_SENSITIVITIES.map((s) => `'${s}'`).join(', ')}`);
  }
  const outChecks: Record<string, boolean> = { ...DEFAULT_SITE_RISK.checks };
  if (checks !== undefined) {
    if (typeof checks !== 'object' || checks === null || Array.isArray(checks)) throw bad(`an object whose 'checks' is an object of booleans (${RISK_CHECK_NAMES.join(', ')})`);
    for (const [name, on] of Object.entries(checks)) {
      if (!(RISK_CHECK_NAMES as readonly string[]).includes(name) || typeof on !== 'boolean') {
        throw bad(`an object whose 'checks' has only boolean ${RISK_CHECK_NAMES.join(', ')}; got '${name.slice(0, 40)}'`);
      }
      outChecks[name] = on;
    }
  }
  const outMin: Record<string, number> = {};
  if (minScore !== undefined) {
    if (typeof minScore !== 'object' || minScore === null || Array.isArray(minScore)) throw bad("an object whose 'minScore' maps actions to numbers in [0, 1]");
    const entries = Object.entries(minScore);
    if (entries.length > 64) throw bad("an object whose 'minScore' lists at most 64 actions");
    for (const [action, min] of entries) {
      if (!ACTION.test(action) || typeof min !== 'number' || !(min >= 0 && min <= 1)) {
        throw bad(`an object whose 'minScore' maps actions (0-32 chars of [A-Za-z0-9_-], or '*') to numbers in [0, 1]; got '${action.slice(0, 40)}'`);
      }
      outMin[action] = min;
    }
  }
  return Object.freeze({
    sensitivity: (sensitivity as RiskSensitivity | undefined) ?? DEFAULT_SITE_RISK.sensitivity,
    checks: Object.freeze(outChecks as unknown as RiskChecks),
    minScore: Object.freeze(outMin),
  });
}

/** The settings of a record that may predate the field (mirrored from an older instance). */
export function siteRiskOf(site: { readonly risk?: SiteRiskSettings | undefined }): SiteRiskSettings {
  return site.risk ?? DEFAULT_SITE_RISK;
}

/** The minimum score for `action`, or undefined when the site set none. */
export function minScoreFor(settings: SiteRiskSettings, action: string): number | undefined {
  return Object.hasOwn(settings.minScore, action) ? settings.minScore[action] : settings.minScore['*'];
}

/**
 * The settings kept in the config DB's `risk` column (JSON). A value this version cannot read
 * (written by hand, or by a newer version with fields this one lacks) gives the defaults
 * rather than a mirror that stops loading: a site keeps being served either way.
 */
export function parseStoredSiteRisk(text: string): SiteRiskSettings {
  try {
    return validateSiteRisk(JSON.parse(text));
  } catch {
    return DEFAULT_SITE_RISK;
  }
}
