// The browser probe's sealing and verdict in the engine: a fresh probe per challenge, bound to
// its id and to the trace, the deterministic outputs recomputed exactly, the environment and
// input facts turned into signals (never a failed answer).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PROBE_CHECKS, answerProbe, createChallengeEngine, createMemoryStore, expectedProbeOutput } from '../src/index.js';
import type { ProbeSignal, PublicChallenge, PublicProbe } from '../src/index.js';

const engine = createChallengeEngine({ store: createMemoryStore(), secrets: ['probe-test-secret-0123456789'], renderThreads: 0, pool: false });
const other = createChallengeEngine({ store: createMemoryStore(), secrets: ['another-secret-entirely-012345'], renderThreads: 0, pool: false });
after(async () => {
  await engine.close();
  await other.close();
});
const site = { sitekey: 'site-probe', challengeTypes: ['slide', 'pow'] as const, difficulty: 4 };

/** What a desktop Chromium in a window reports. */
const BROWSER_ENV = Object.freeze({
  wd: false, hl: false, br: 3, pl: 5, mt: 2, ow: 1280, oh: 900, iw: 1280, ih: 780, sw: 1920, sh: 1080, aw: 1920, ah: 1040,
  np: 'default', pq: 'prompt', sc: true, cr: true, mb: false,
});
const DRAG_INPUT = Object.freeze({ n: 40, t: 40, k: 0, kt: 0, pt: 'mouse', pr: 0.5, pw: 1, ph: 1, co: 1, cc: 1 });
const TRACE: [number, number, number][] = [[0, 0, 0], [10, 1, 50], [40, 0, 120], [80, -1, 260]];

async function slide(): Promise<PublicChallenge & { probe: PublicProbe }> {
  const c = await engine.issue({ site, type: 'slide' });
  assert.ok(c.probe, 'a slide challenge carries a probe');
  return c as PublicChallenge & { probe: PublicProbe };
}

const signalsOf = (c: PublicChallenge, result: unknown, trajectory: unknown = TRACE): ProbeSignal[] =>
  engine.probeSignals(result, { id: c.id, trajectory, input: 'pointer', type: c.type });

describe('browser probe', () => {
  it('draws a fresh probe per challenge: 3-5 distinct checks, a new nonce and seed', async () => {
    const seen = new Set<string>();
    const orders = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { probe } = await slide();
      assert.ok(probe.checks.length >= 3 && probe.checks.length <= 5, probe.checks.join(','));
      assert.equal(new Set(probe.checks).size, probe.checks.length);
      assert.ok(probe.checks.every((c) => (PROBE_CHECKS as readonly string[]).includes(c)));
      assert.ok(Number.isInteger(probe.seed) && probe.seed >= 0 && probe.seed < 2 ** 32);
      assert.ok(!seen.has(probe.nonce), 'nonce reused');
      seen.add(probe.nonce);
      orders.add(probe.checks.join(','));
    }
    assert.ok(orders.size > 5, `only ${orders.size} selections in 30 probes`);
    const pow = await engine.issue({ site, type: 'pow' });
    assert.ok(pow.probe, 'a proof-of-work challenge carries one too');
  });

  it('a correct result from a real-looking browser raises nothing', async () => {
    const c = await slide();
    assert.deepEqual(signalsOf(c, answerProbe(c.probe, c.id, TRACE, BROWSER_ENV, DRAG_INPUT, 4)), []);
  });

  it('a missing result is a signal, not an error', async () => {
    const c = await slide();
    assert.deepEqual(signalsOf(c, undefined), ['probe_missing']);
    assert.deepEqual(signalsOf(c, null), ['probe_missing']);
  });

  it('a result moved to another challenge, or with another trace, fails binding', async () => {
    const a = await slide();
    const b = await slide();
    const result = answerProbe(a.probe, a.id, TRACE, BROWSER_ENV, DRAG_INPUT, 4);
    assert.deepEqual(signalsOf(b, result), ['probe_invalid'], 'sealed for a, answered on b');
    // The whole result recomputed for b's id but with a's sealed probe: the seal names a's id.
    assert.deepEqual(signalsOf(b, answerProbe(a.probe, b.id, TRACE, BROWSER_ENV, DRAG_INPUT, 4)), ['probe_invalid']);
    const otherTrace: [number, number, number][] = [[0, 0, 0], [80, 0, 300]];
    assert.deepEqual(signalsOf(a, result, otherTrace), ['probe_invalid'], 'the trace digest is bound');
    // Replayed on the same challenge it still verifies (the challenge itself is one-time).
    assert.deepEqual(signalsOf(a, result), []);
  });

  it('a forged seal, a changed fact or a changed mac fails binding', async () => {
    const c = await slide();
    const result = answerProbe(c.probe, c.id, TRACE, BROWSER_ENV, DRAG_INPUT, 4);
    const forged = await other.issue({ site, type: 'slide' });
    assert.deepEqual(signalsOf(c, { ...result, token: (forged.probe as PublicProbe).token }), ['probe_invalid']);
    assert.deepEqual(signalsOf(c, { ...result, env: { ...result.env, wd: true } }), ['probe_invalid']);
    assert.deepEqual(signalsOf(c, { ...result, mac: result.mac.replace(/^./, (ch) => (ch === '0' ? '1' : '0')) }), ['probe_invalid']);
    for (const junk of [1, 'x', [], {}, { ...result, out: 'nope' }, { ...result, out: [1, 2, 3] }, { ...result, ms: '4' }]) {
      assert.deepEqual(signalsOf(c, junk), ['probe_invalid'], JSON.stringify(junk).slice(0, 60));
    }
  });

  it('a tampered deterministic output, re-digested, is a mismatch', async () => {
    const c = await slide();
    const good = answerProbe(c.probe, c.id, TRACE, BROWSER_ENV, DRAG_INPUT, 4);
    // A client that digests what it computed, but computed one check wrong (an engine that is not a browser).
    const out = [...good.out];
    out[0] = `${out[0]}0`;
    const { probeMac, probeMessage, traceDigest } = await import('../src/browser-probe.js');
    const mac = probeMac(c.probe.nonce, probeMessage(c.id, out, traceDigest(TRACE), BROWSER_ENV, DRAG_INPUT, 4));
    assert.deepEqual(signalsOf(c, { ...good, out, mac }), ['probe_mismatch']);
  });

  it('turns headless and automation facts into signals', async () => {
    const c = await slide();
    const headless = { ...BROWSER_ENV, wd: true, hl: true, br: 0, pl: 0, mt: 0, ow: 1280, oh: 780, np: 'denied', pq: 'prompt' };
    const input = { ...DRAG_INPUT, t: 30, pr: 0, co: 0 };
    const s = signalsOf(c, answerProbe(c.probe, c.id, TRACE, headless, input, 2000));
    assert.deepEqual(new Set(s), new Set<ProbeSignal>([
      'webdriver', 'headless_ua', 'no_window_chrome', 'plugins_missing', 'notification_odd', 'brands_missing',
      'untrusted_events', 'pointer_odd', 'coalesced_missing', 'probe_slow',
    ]));
    assert.deepEqual(engine.probeSignals(undefined, { id: c.id, trajectory: TRACE, input: 'pointer', type: 'slide', userAgent: 'Mozilla/5.0 HeadlessChrome/156.0' }), ['headless_ua', 'probe_missing']);
  });

  it('a trace with more samples than the events the widget counted is unbacked', async () => {
    const c = await slide();
    assert.deepEqual(signalsOf(c, answerProbe(c.probe, c.id, TRACE, BROWSER_ENV, { ...DRAG_INPUT, n: 2, t: 2 }, 4)), ['trace_unbacked']);
    const keys: [number, number, number][] = [[0, 0, 0], [1, 0, 0], [2, 0, 120], [3, 0, 260]];
    const keyInput = { ...DRAG_INPUT, n: 0, t: 0, k: 3, kt: 3 };
    const ok = engine.probeSignals(answerProbe(c.probe, c.id, keys, BROWSER_ENV, keyInput, 4), { id: c.id, trajectory: keys, input: 'keyboard', type: 'slide' });
    assert.deepEqual(ok, []);
    const few = engine.probeSignals(answerProbe(c.probe, c.id, keys, BROWSER_ENV, { ...keyInput, k: 1, kt: 1 }, 4), { id: c.id, trajectory: keys, input: 'keyboard', type: 'slide' });
    assert.deepEqual(few, ['trace_unbacked']);
  });

  it('the expected outputs are exact values of the seed (spot values)', () => {
    // Fixed seed: the formulas, not a browser. The browser side is compared in the widget's Chromium test.
    assert.match(expectedProbeOutput('layout', 1, 'n'), /^\d+x\d+\+\d+\+\d+$/);
    assert.match(expectedProbeOutput('canvas', 1, 'n'), /^\d+:\d+,\d+,\d+,255:\d+,\d+,\d+,255$/);
    assert.equal(expectedProbeOutput('digest', 7, 'abc').length, 32);
    assert.notEqual(expectedProbeOutput('digest', 7, 'abc'), expectedProbeOutput('digest', 7, 'abd'));
    assert.match(expectedProbeOutput('intl', 9, 'n'), /^[\d,]+\|[\d.]+,\d\d\|\d{4}-\d\d-\d\d\|\d$/);
  });

  it('an engine with probe off issues none', async () => {
    const plain = createChallengeEngine({ store: createMemoryStore(), secrets: ['probe-test-secret-0123456789'], renderThreads: 0, pool: false, probe: false });
    try {
      assert.equal((await plain.issue({ site, type: 'pow' })).probe, undefined);
    } finally {
      await plain.close();
    }
  });
});
