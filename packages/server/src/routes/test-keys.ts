/**
 * What the test sitekeys and secrets (`TEST_KEYS`, option `testKeys`) answer with: challenge
 * ids marked with their outcome, and the one dummy pass token.
 */
import type { SiteProfile } from '@hurdle/challenge';

/** Prefix of a challenge id issued for the always-pass test sitekey. */
export const TEST_PREFIX_PASS = '1x.';
/** Prefix of a challenge id issued for the always-fail test sitekey. */
export const TEST_PREFIX_FAIL = '2x.';
/** The token every always-pass test challenge returns; no real secret accepts it. */
export const DUMMY_TOKEN = 'XXXX.DUMMY.TOKEN.XXXX';

/** The profile a test sitekey's challenges are drawn from. */
export function testProfile(sitekey: string): SiteProfile {
  return { sitekey, challengeTypes: ['slide', 'pow'], difficulty: 1 };
}
