/**
 * The ladder: what a visitor must do, chosen by the risk score. Instead of blocking, a riskier
 * visitor pays more: the challenge asked for (invisible proof of work at the site's base cost,
 * or the site's default) -> a slide puzzle -> a slide puzzle plus a costlier proof of work ->
 * refused for a while. A site without the slide type climbs in proof-of-work cost instead.
 */
import type { ChallengeType } from '../site.js';
import type { RiskAssessment } from './risk-score.js';
import { ESCALATION_THRESHOLDS as T, POW_EXTRA_BITS } from './risk-weights.js';
import type { SiteRiskSettings } from './site-risk-settings.js';

export type EscalationLevel = 'base' | 'slide' | 'slide_pow' | 'refuse';
export const ESCALATION_LEVELS: readonly EscalationLevel[] = Object.freeze(['base', 'slide', 'slide_pow', 'refuse']);

export type EscalationStep =
  | {
      readonly level: Exclude<EscalationLevel, 'refuse'>;
      /** The type to issue (undefined: what was asked, else the site's default). */
      readonly type: ChallengeType | undefined;
      /**
       * Proof-of-work difficulty for this one challenge (the engine's per-issue override):
       * the PoW's own for a `pow`, the proof a slide's every answer must carry for a `slide`.
       */
      readonly powDifficulty: number | undefined;
    }
  | { readonly level: 'refuse'; readonly scope: 'address' | 'prefix' };

const MAX_DIFFICULTY = 32;

/** The step for an assessed issue request to a site. */
export function chooseStep(
  a: RiskAssessment,
  site: { readonly challengeTypes: readonly ChallengeType[]; readonly difficulty: number },
  requested: ChallengeType | undefined,
  settings: SiteRiskSettings,
): EscalationStep {
  if (settings.checks.refuse) {
    if (a.addressRisk >= T.refuse) return { level: 'refuse', scope: 'address' };
    if (a.prefixRisk >= T.refuse) return { level: 'refuse', scope: 'prefix' };
  }
  // A visitor who asked for the puzzle-free path keeps it, priced higher: it is the way in for
  // people who cannot drag a piece, so it is never taken away, only made no cheaper for a script.
  const slide = site.challengeTypes.includes('slide') && requested !== 'pow';
  const costlier = (bits: number): number => Math.min(MAX_DIFFICULTY, site.difficulty + bits);
  if (a.risk >= T.slidePow) {
    return slide
      ? { level: 'slide_pow', type: 'slide', powDifficulty: costlier(POW_EXTRA_BITS.slideProof) }
      : { level: 'slide_pow', type: 'pow', powDifficulty: costlier(POW_EXTRA_BITS.powAtSlidePow) };
  }
  if (a.risk >= T.slide) {
    return slide
      ? { level: 'slide', type: 'slide', powDifficulty: undefined }
      : { level: 'slide', type: 'pow', powDifficulty: costlier(POW_EXTRA_BITS.powAtSlide) };
  }
  return { level: 'base', type: requested, powDifficulty: undefined };
}
