import type { ApiClient } from './api-client.js';
import { findGap } from './gap-finder.js';
import type { GapFinder } from './gap-finder.js';
import { decodeDataUrl } from './image-decode.js';
import { wilsonInterval } from './wilson-interval.js';

/** Top-1 / top-3 accuracy of one gap finder. */
export interface FinderAccuracy {
  readonly n: number;
  readonly top1: number;
  readonly top1_interval: readonly [number, number];
  readonly top3: number;
  /** Median |found - true| of the best candidate, px. */
  readonly median_error_px: number;
  /** CPU per puzzle for this finder, ms (decoding included). */
  readonly cpu_ms_per_puzzle: number;
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/**
 * Scores the gap finders on `n` puzzles from the public route. The true x comes from the
 * test-hooks answer route and is used only to score here; no attacker sees it.
 */
export async function measureCvAccuracy(api: ApiClient, sitekey: string, n: number, tolerancePx: number, timeLimitS: number, finders: readonly GapFinder[]): Promise<Record<GapFinder, FinderAccuracy>> {
  const stats = new Map<GapFinder, { hit1: number; hit3: number; errors: number[]; cpuUs: number }>();
  for (const f of finders) stats.set(f, { hit1: 0, hit3: 0, errors: [], cpuUs: 0 });
  const deadline = Date.now() + timeLimitS * 1000;
  let done = 0;
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    const c = await api.challenge(sitekey, 'slide');
    const truth = (await api.testAnswer(c.id))?.x;
    const slide = c.slide;
    if (slide === undefined || truth === undefined) continue;
    for (const f of finders) {
      const s = stats.get(f);
      if (s === undefined) continue;
      const cpu0 = process.cpuUsage();
      const found = findGap(f, { background: decodeDataUrl(slide.background), piece: decodeDataUrl(slide.piece), pieceY: slide.pieceY }, 3).xs;
      const cpu = process.cpuUsage(cpu0);
      s.cpuUs += cpu.user + cpu.system;
      const err = found.length > 0 ? Math.abs((found[0] as number) - truth) : Number.POSITIVE_INFINITY;
      s.errors.push(err);
      if (err <= tolerancePx) s.hit1++;
      if (found.some((x) => Math.abs(x - truth) <= tolerancePx)) s.hit3++;
    }
    done++;
  }
  const out = {} as Record<GapFinder, FinderAccuracy>;
  for (const [f, s] of stats) {
    const w = wilsonInterval(s.hit1, done);
    const sorted = [...s.errors].sort((a, b) => a - b);
    out[f] = {
      n: done,
      top1: round(w.rate),
      top1_interval: [round(w.low), round(w.high)],
      top3: done > 0 ? round(s.hit3 / done) : 0,
      median_error_px: sorted.length > 0 ? round(sorted[Math.floor(sorted.length / 2)] as number, 1) : 0,
      cpu_ms_per_puzzle: done > 0 ? round(s.cpuUs / 1000 / done, 2) : 0,
    };
  }
  return out;
}
