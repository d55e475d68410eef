// The risk engine's pure parts: network prefixes, the trace score and its calibration on the
// recorded human drags, the score's weights and the escalation ladder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadHumanDrags } from '@hurdle/test-helpers';
import { chooseStep } from '../src/risk/escalation.js';
import { networkPrefix } from '../src/risk/network-prefix.js';
import { assessAnswer, assessSignals, publicScore } from '../src/risk/risk-score.js';
import type { RiskSignals } from '../src/risk/risk-score.js';
import { DEFAULT_SITE_RISK, validateSiteRisk } from '../src/risk/site-risk-settings.js';
import { HUMAN_TRACE_CALIBRATION } from '../src/risk/trace-calibration.js';
import { calibrateTraces, traceRisk } from '../src/risk/trace-score.js';
import type { TraceSample } from '../src/risk/trace-score.js';

const signals = (a: Partial<RiskSignals['address']> = {}, p: Partial<RiskSignals['prefix']> = {}, s: Partial<RiskSignals['site']> = {}): RiskSignals => ({
  address: { issues: 0, solves: 0, topSolves: 0, failures: 0, replays: 0, refusals: 0, ...a },
  prefix: { issues: 0, solves: 0, topSolves: 0, failures: 0, refusals: 0, ...p },
  site: { issues: 0, failures: 0, ...s },
});

describe('networkPrefix', () => {
  it('counts IPv4 per /24 and IPv6 per /48, IPv4-mapped as IPv4', () => {
    assert.equal(networkPrefix('203.0.113.7'), '203.0.113.0/24');
    assert.equal(networkPrefix('::ffff:203.0.113.200'), '203.0.113.0/24');
    assert.equal(networkPrefix('2001:db8:1:2::5'), '2001:db8:1::/48');
    assert.equal(networkPrefix('2001:db8:1:ffff:1:2:3:4'), '2001:db8:1::/48');
    assert.equal(networkPrefix('not-an-address'), 'not-an-address');
  });
});

describe('trace score', () => {
  const drags = loadHumanDrags();
  it('keeps its calibration in step with the recorded human drags', () => {
    const fresh = calibrateTraces(drags.map((d) => d.samples));
    for (let i = 0; i < fresh.median.length; i++) {
      assert.ok(Math.abs((fresh.median[i] as number) - (HUMAN_TRACE_CALIBRATION.median[i] as number)) < 1e-3, `median ${i}`);
      assert.ok(Math.abs((fresh.spread[i] as number) - (HUMAN_TRACE_CALIBRATION.spread[i] as number)) < 1e-3, `spread ${i}`);
    }
    assert.ok(Math.abs(fresh.distanceP90 - HUMAN_TRACE_CALIBRATION.distanceP90) < 1e-3);
  });

  it('scores the human drags low (at least 97% under 0.3) and machine drags high', () => {
    const risks = drags.map((d) => traceRisk(d.samples, HUMAN_TRACE_CALIBRATION));
    assert.ok(risks.filter((r) => r < 0.3).length / risks.length >= 0.97, risks.map((r) => r.toFixed(2)).join(' '));
    // A straight line at constant speed and even 10 ms steps: the scripted drag.
    const line: TraceSample[] = Array.from({ length: 30 }, (_, i) => [i * 6, 0, i * 10]);
    assert.ok(traceRisk(line, HUMAN_TRACE_CALIBRATION) > 0.5, String(traceRisk(line, HUMAN_TRACE_CALIBRATION)));
    // A too-short trace is unknown, not proof.
    assert.equal(traceRisk([[0, 0, 0], [10, 0, 10]], HUMAN_TRACE_CALIBRATION), 0.5);
    // Steps of a femtosecond overflow the speeds' squares: the trace scores as far as can be, not NaN.
    const overflow: TraceSample[] = [[0, 0, 0], [300, 0, 1e-160], [600, 0, 2e-160], [900, 0, 3e-160], [1000, 5, 900]];
    assert.equal(traceRisk(overflow, HUMAN_TRACE_CALIBRATION), 1);
  });
});

describe('risk score', () => {
  it('scores a normal visitor (one issue, one solve) 0, and a farm address near 1', () => {
    assert.equal(assessSignals(signals({ issues: 1, solves: 1 }), DEFAULT_SITE_RISK).risk, 0);
    const farm = assessSignals(signals({ issues: 20, solves: 12, failures: 3 }, { issues: 20, solves: 12, failures: 3 }), DEFAULT_SITE_RISK);
    assert.ok(farm.risk > 0.95 && farm.addressRisk > 0.95, JSON.stringify(farm));
    assert.equal(farm.reasons[0], 'address_solves');
  });

  it('weighs sensitivity and the switches', () => {
    const s = signals({ solves: 4 });
    const at = (risk: unknown): number => assessSignals(s, validateSiteRisk(risk)).risk;
    assert.ok(at({ sensitivity: 'low' }) < at({}) && at({}) < at({ sensitivity: 'high' }));
    assert.equal(at({ checks: { address: false } }), 0);
    // The site's failure rate counts only under load.
    assert.equal(assessSignals(signals({}, {}, { issues: 10, failures: 9 }), DEFAULT_SITE_RISK).risk, 0);
    assert.ok(assessSignals(signals({}, {}, { issues: 100, failures: 90 }), DEFAULT_SITE_RISK).risk > 0);
  });

  it('raises a pass by its own evidence, and maps risk to the public score', () => {
    const base = { risk: 0, reasons: [] };
    const clean = assessAnswer(base, { type: 'slide', keyboard: false, traceRisk: 0, elapsedMs: 3000 }, DEFAULT_SITE_RISK);
    assert.equal(clean.risk, 0);
    const odd = assessAnswer(base, { type: 'slide', keyboard: true, traceRisk: 1, elapsedMs: 100 }, DEFAULT_SITE_RISK);
    assert.ok(odd.risk > 0.6, String(odd.risk));
    assert.deepEqual([...odd.reasons].sort(), ['fast_solve', 'keyboard_claim', 'trace_distance']);
    assert.equal(assessAnswer(base, { type: 'slide', keyboard: true, traceRisk: 1, elapsedMs: 100 }, validateSiteRisk({ checks: { trace: false } })).risk, 0);
    assert.equal(publicScore(0), 1);
    assert.equal(publicScore(0.333), 0.67);
    assert.equal(publicScore(1), 0);
  });
});

describe('escalation ladder', () => {
  const site = { challengeTypes: ['pow', 'slide'] as ('pow' | 'slide')[], difficulty: 10 };
  const at = (risk: number, addressRisk = risk): ReturnType<typeof chooseStep> => chooseStep({ risk, addressRisk, prefixRisk: 0, reasons: [] }, site, undefined, DEFAULT_SITE_RISK);
  it('climbs base -> slide -> slide + costlier proof -> refuse', () => {
    assert.deepEqual(at(0.1), { level: 'base', type: undefined, powDifficulty: undefined });
    assert.deepEqual(at(0.4), { level: 'slide', type: 'slide', powDifficulty: undefined });
    assert.deepEqual(at(0.7), { level: 'slide_pow', type: 'slide', powDifficulty: 14 });
    assert.deepEqual(at(0.9), { level: 'refuse', scope: 'address' });
    // Combined risk alone (no single group over the line) never refuses.
    assert.equal(at(0.9, 0.5).level, 'slide_pow');
  });
  it('keeps the puzzle-free path for a visitor who asks for it, and caps the difficulty at 32', () => {
    const pow = (risk: number, difficulty = 10): ReturnType<typeof chooseStep> => chooseStep({ risk, addressRisk: risk, prefixRisk: 0, reasons: [] }, { ...site, difficulty }, 'pow', DEFAULT_SITE_RISK);
    assert.deepEqual(pow(0.4), { level: 'slide', type: 'pow', powDifficulty: 13 });
    assert.deepEqual(pow(0.7), { level: 'slide_pow', type: 'pow', powDifficulty: 16 });
    assert.deepEqual(pow(0.7, 30), { level: 'slide_pow', type: 'pow', powDifficulty: 32 });
  });
});

describe('risk engine over a store (fake clock)', () => {
  it('refuses a returning farm sooner and for twice as long, and forgets it after the windows', async () => {
    const { createMemoryStore } = await import('@hurdle/challenge');
    const { createRiskEngine } = await import('../src/risk/risk-engine.js');
    const { createStoreRiskCounters } = await import('../src/risk/risk-counters.js');
    const { isServerError } = await import('../src/errors.js');
    let now = 1_800_000_000_000;
    const store = createMemoryStore({ now: () => now });
    const risk = createRiskEngine({ counters: createStoreRiskCounters(store, () => now), settingsOf: () => undefined, challengeTtlMs: 60_000, tokenTtlMs: 60_000, now: () => now });
    const site = { challengeTypes: ['pow', 'slide'] as ('pow' | 'slide')[], difficulty: 10 };
    const from = '203.0.113.40';
    /** Solve until refused; returns the difficulties and the Retry-After of the refusal. */
    const farm = async (): Promise<{ difficulties: number[]; retryAfterS: number }> => {
      const difficulties: number[] = [];
      for (let i = 0; i < 30; i++) {
        try {
          const d = await risk.assessIssue(from, 'site', 'pow', site);
          difficulties.push(d.step.powDifficulty ?? site.difficulty);
          await risk.recordIssue(from, 'site', `p.challenge-${now}-${i}`, d);
          await risk.recordVerify(from, { id: `p.challenge-${now}-${i}` }, { success: true, token: `t-${now}-${i}`, tokenId: `id-${now}-${i}`, expiresAt: now + 60_000 });
          now += 1000;
        } catch (err) {
          assert.ok(isServerError(err) && err.code === 'SERVER_ERR_RISK_REFUSED', String(err));
          return { difficulties, retryAfterS: err.retryAfterS ?? 0 };
        }
      }
      throw new Error('never refused');
    };
    const first = await farm();
    assert.equal(first.difficulties[0], 10);
    assert.equal(first.retryAfterS, 120);
    now += 121_000;
    const second = await farm();
    assert.ok((second.difficulties[0] as number) > 10, `a returning farm starts escalated: ${second.difficulties.join(',')}`);
    assert.ok(second.difficulties.length < first.difficulties.length, 'and is refused sooner');
    assert.equal(second.retryAfterS, 240);
    // An hour later (windows and strikes gone) the address is a stranger again.
    now += 3_700_000;
    assert.equal((await risk.assessIssue(from, 'site', 'pow', site)).step.level, 'base');
  });
});
