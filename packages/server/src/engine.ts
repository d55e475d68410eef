/** Builds the challenge engine of one process from the server options and the mirrored HMAC keys. */
import { createChallengeEngine } from '@hurdle/challenge';
import type { ChallengeEngine, ChallengeStore } from '@hurdle/challenge';
import type { ServerOptions } from './options.js';
import type { SiteDirectory } from './site-directory.js';

export function createEngine(options: Readonly<ServerOptions>, store: ChallengeStore, sites: SiteDirectory): { engine: ChallengeEngine; stop: () => void } {
  const keys = sites.hmacKeys();
  if (!keys || keys.length === 0) throw new Error('config mirror has no HMAC keys (meta:hmac)');
  const engine = createChallengeEngine({
    store,
    secrets: keys,
    challengeTtlMs: options.challengeTtlMs,
    tokenTtlMs: options.tokenTtlMs,
    slideRounds: options.slideRounds,
    renderThreads: options.renderThreads,
    imageSets: options.imageSets,
    stateEpoch: sites.stateEpoch(),
  });
  // Key rotation and a new state epoch reach every worker through the mirror.
  let current = JSON.stringify(keys);
  let epoch = sites.stateEpoch();
  const timer = setInterval(() => {
    const next = sites.hmacKeys();
    if (next && next.length > 0 && JSON.stringify(next) !== current) {
      current = JSON.stringify(next);
      engine.setSecrets(next);
    }
    const nextEpoch = sites.stateEpoch();
    if (nextEpoch !== epoch) {
      epoch = nextEpoch;
      engine.setStateEpoch(nextEpoch);
    }
  }, 1000);
  timer.unref();
  return { engine, stop: () => clearInterval(timer) };
}
