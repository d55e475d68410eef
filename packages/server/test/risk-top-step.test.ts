// The top-step rule: an address or a network that keeps winning tokens while it already pays
// the top step (slide_pow) is refused, whatever its solve rate; ordinary shared traffic is not.
// Run on the real engine over both kinds of counters (the shared-memory map and a store, the
// Redis ring's path) with a fake clock, plus the packed shared-memory counters and the records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '@hurdle/challenge';
import type { ChallengeType, PublicChallenge } from '@hurdle/challenge';
import { createSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import { isServerError } from '../src/errors.js';
import { createShmRiskCounters, createStoreRiskCounters, RISK_WINDOW_MS } from '../src/risk/risk-counters.js';
import type { RiskCounters } from '../src/risk/risk-counters.js';
import { createRiskEngine } from '../src/risk/risk-engine.js';
import { digestKey, encodeChallengeRecord, encodeTokenScore, parseChallengeRecord, parseTokenScore } from '../src/risk/risk-records.js';
import { assessSignals } from '../src/risk/risk-score.js';
import type { RiskSignals } from '../src/risk/risk-score.js';
import { chooseStep } from '../src/risk/escalation.js';
import { DEFAULT_SITE_RISK, validateSiteRisk } from '../src/risk/site-risk-settings.js';
import type { SiteRiskSettings } from '../src/risk/site-risk-settings.js';

const SITE = { challengeTypes: ['pow', 'slide'] as ChallengeType[], difficulty: 10 };

const signals = (a: Partial<RiskSignals['address']> = {}, p: Partial<RiskSignals['prefix']> = {}): RiskSignals => ({
  address: { issues: 0, solves: 0, topSolves: 0, failures: 0, replays: 0, refusals: 0, ...a },
  prefix: { issues: 0, solves: 0, topSolves: 0, failures: 0, refusals: 0, ...p },
  site: { issues: 0, failures: 0 },
});

let mapSeq = 0;
function shmMap(now: () => number): SharedMap<string> {
  return createSharedMap({ name: `hurdle-risk-top-${process.pid}-${mapSeq++}`, backend: 'memory', sizeBytes: 4 << 20, codec: 'string', now }) as SharedMap<string>;
}

interface Clocked {
  counters: RiskCounters;
  now: { ms: number };
  close(): void;
}

/** Counters of either kind over one fake clock. */
function countersOf(kind: 'shm' | 'store'): Clocked {
  const now = { ms: 1_800_000_000_000 };
  const clock = (): number => now.ms;
  if (kind === 'store') return { counters: createStoreRiskCounters(createMemoryStore({ now: clock }), clock), now, close: () => undefined };
  const map = shmMap(clock);
  return { counters: createShmRiskCounters(map, clock), now, close: () => map.close() };
}

type Outcome = { level: string; bits: number } | { refused: true; retryAfterS: number; reason: string };

/**
 * One visitor after another from `addressOf(i)`, each issue -> pow answer -> token, `gapMs`
 * apart (issue to issue, the solve included), for at most `count` attempts or until refused.
 */
async function farm(c: Clocked, o: { addressOf: (i: number) => string; gapMs: number; count: number; settings?: SiteRiskSettings; stopAtRefusal?: boolean; requested?: ChallengeType | 'default' }): Promise<Outcome[]> {
  const risk = createRiskEngine({ counters: c.counters, settingsOf: () => o.settings ?? DEFAULT_SITE_RISK, challengeTtlMs: 120_000, tokenTtlMs: 300_000, now: () => c.now.ms });
  const out: Outcome[] = [];
  for (let i = 0; i < o.count; i++) {
    const from = o.addressOf(i);
    try {
      // The puzzle-free path unless the visitor takes the site's default challenge.
      const d = await risk.assessIssue(from, 'site', o.requested === 'default' ? undefined : o.requested ?? 'pow', SITE);
      const id = `p.top-${mapSeq}-${i}`;
      await risk.recordIssue(from, 'site', id, d);
      c.now.ms += o.gapMs;
      await risk.recordVerify(from, { id }, { success: true, token: `t-${mapSeq}-${i}`, tokenId: `id-${mapSeq}-${i}`, expiresAt: c.now.ms + 300_000 });
      out.push({ level: d.step.level, bits: d.step.powDifficulty ?? SITE.difficulty });
    } catch (err) {
      assert.ok(isServerError(err) && err.code === 'SERVER_ERR_RISK_REFUSED', String(err));
      out.push({ refused: true, retryAfterS: err.retryAfterS ?? 0, reason: err.message });
      if (o.stopAtRefusal !== false) return out;
      c.now.ms += o.gapMs;
    }
  }
  return out;
}

const refusals = (out: readonly Outcome[]): number => out.filter((x) => 'refused' in x).length;
const levels = (out: readonly Outcome[]): string[] => out.map((x) => ('refused' in x ? 'refused' : x.level));

describe('the top-step signal in the score', () => {
  it('refuses an address that won a token at the top step, not one that merely reached it', () => {
    // Six solves in the minute put an address at slide_pow; the tokens it won there decide.
    const reached = assessSignals(signals({ issues: 6, solves: 6 }), DEFAULT_SITE_RISK);
    assert.equal(chooseStep(reached, SITE, 'pow', DEFAULT_SITE_RISK).level, 'slide_pow');
    const stayed = assessSignals(signals({ issues: 6, solves: 6, topSolves: 1 }), DEFAULT_SITE_RISK);
    assert.deepEqual(chooseStep(stayed, SITE, 'pow', DEFAULT_SITE_RISK), { level: 'refuse', scope: 'address' });
    assert.ok(stayed.reasons.includes('address_top_solves'), JSON.stringify(stayed.reasons));
  });

  it('refuses a network on its first token won at the top step its own risk put it on', () => {
    const at = (topSolves: number): string => chooseStep(assessSignals(signals({}, { issues: 24, solves: 22, topSolves }), DEFAULT_SITE_RISK), SITE, 'pow', DEFAULT_SITE_RISK).level;
    assert.deepEqual([at(0), at(1)], ['slide_pow', 'refuse']);
  });

  it('honours sensitivity and the switches', () => {
    const s = signals({ issues: 6, solves: 6, topSolves: 1 });
    const step = (risk: unknown): string => {
      const settings = validateSiteRisk(risk);
      return chooseStep(assessSignals(s, settings), SITE, 'pow', settings).level;
    };
    assert.equal(step({}), 'refuse');
    // Low sensitivity halves every pressure: one token at the top step is not enough.
    assert.notEqual(step({ sensitivity: 'low' }), 'refuse');
    assert.equal(step({ checks: { refuse: false } }), 'slide_pow');
    assert.equal(step({ checks: { address: false } }), 'base');
  });
});

for (const kind of ['shm', 'store'] as const) {
  describe(`the top-step rule on the engine (${kind} counters, fake clock)`, () => {
    it('refuses a farm that solves too slowly to reach the solve-rate line, after one token at the top', async () => {
      const c = countersOf(kind);
      try {
        // Five quick tokens (base, then the slide) and then 25 s per token at the top: under
        // eight solves a minute, which the solve rate alone never refused.
        const quick = await farm(c, { addressOf: () => '198.51.100.7', gapMs: 300, count: 5 });
        assert.deepEqual(levels(quick), ['base', 'base', 'base', 'base', 'slide']);
        const slow = await farm(c, { addressOf: () => '198.51.100.7', gapMs: 25_000, count: 5 });
        const i = slow.findIndex((x) => 'refused' in x);
        assert.deepEqual(levels(slow).slice(0, i + 1), ['slide_pow', 'refused'], JSON.stringify(slow));
        const r = slow[i] as { retryAfterS: number };
        assert.equal(r.retryAfterS, 120);
        // Back after the pause: it starts at the top step and is refused after two tokens there,
        // for twice as long.
        c.now.ms += 121_000;
        const back = await farm(c, { addressOf: () => '198.51.100.7', gapMs: 25_000, count: 5 });
        assert.deepEqual(levels(back), ['slide_pow', 'slide_pow', 'refused']);
        assert.equal((back[2] as { retryAfterS: number }).retryAfterS, 240);
      } finally {
        c.close();
      }
    });

    it('refuses a farm spread over a /24 after its tokens at the top step', async () => {
      const c = countersOf(kind);
      try {
        const out = await farm(c, { addressOf: (i) => `203.0.113.${1 + (i % 254)}`, gapMs: 500, count: 60 });
        const top = out.filter((x) => 'level' in x && x.level === 'slide_pow').length;
        assert.equal(refusals(out), 1, JSON.stringify(levels(out)));
        assert.ok(top >= 1 && top <= 3, `tokens at the top step before the refusal: ${top}`);
        // The rest of the Internet is untouched.
        const other = await farm(c, { addressOf: () => '192.0.2.9', gapMs: 500, count: 1 });
        assert.deepEqual(levels(other), ['base']);
      } finally {
        c.close();
      }
    });

    it('refuses a network that farms the puzzle-free path at a rate its puzzles would be let through at', async () => {
      const c = countersOf(kind);
      try {
        // 15 tokens a minute over one /24, every one on the puzzle-free path: under the
        // network's solve-rate line, over its puzzle-free allowance.
        const out = await farm(c, { addressOf: (i) => `198.18.7.${1 + (i % 254)}`, gapMs: 4000, count: 60 });
        assert.equal(refusals(out), 1, JSON.stringify(levels(out)));
        assert.ok(levels(out).includes('slide_pow'), 'it climbed the ladder first');
        // The same rate through the site's puzzles is a busy network, not refused.
        const through = await farm(c, { addressOf: (i) => `198.18.8.${1 + (i % 254)}`, gapMs: 4000, count: 60, requested: 'default' });
        assert.equal(refusals(through), 0, JSON.stringify(levels(through)));
      } finally {
        c.close();
      }
    });

    it('never refuses a busy office address (3 tokens a minute) or a busy /24 (20 a minute) for ten minutes', async () => {
      const c = countersOf(kind);
      try {
        const office = await farm(c, { addressOf: () => '100.64.1.1', gapMs: 20_000, count: 30, stopAtRefusal: false, requested: 'default' });
        assert.equal(refusals(office), 0, JSON.stringify(levels(office)));
        assert.ok(!levels(office).includes('slide_pow'), 'the office stays under the top step');
        const campus = await farm(c, { addressOf: (i) => `100.65.2.${1 + (i % 200)}`, gapMs: 3000, count: 200, stopAtRefusal: false, requested: 'default' });
        assert.equal(refusals(campus), 0, JSON.stringify(levels(campus)));
        // One in ten of the campus's visitors on the puzzle-free path (people who cannot drag):
        // two a minute, under the network's allowance.
        const mixed = await farm(c, { addressOf: (i) => `100.66.3.${1 + (i % 200)}`, gapMs: 3000, count: 200, stopAtRefusal: false, requested: 'default' });
        assert.equal(refusals(mixed), 0);
        for (let i = 0; i < 20; i++) {
          const side = await farm(c, { addressOf: () => `100.66.3.${201 + (i % 50)}`, gapMs: 30_000, count: 1 });
          assert.equal(refusals(side), 0, `puzzle-free visitor ${i}: ${JSON.stringify(levels(side))}`);
        }
      } finally {
        c.close();
      }
    });
  });
}

describe('the shared-memory counters', () => {
  it('read back every signal of an entity from one packed number, in the sliding minute', async () => {
    const now = { ms: 1_800_000_000_000 - (1_800_000_000_000 % RISK_WINDOW_MS) };
    const map = shmMap(() => now.ms);
    try {
      const c = createShmRiskCounters(map, () => now.ms);
      await c.add([{ entity: 'a:x', signals: 'iist' }, { entity: 'p:y', signals: 'i' }]);
      await c.add([{ entity: 'a:x', signals: 'f' }, { entity: 'a:x', signals: 'rr' }]);
      assert.deepEqual(await c.read('a:x', 'istfr'), [2, 1, 1, 1, 2]);
      assert.deepEqual(await c.read('p:y', 'is'), [1, 0]);
      // Half way through the next window the last one counts half.
      now.ms += RISK_WINDOW_MS * 1.5;
      await c.add([{ entity: 'a:x', signals: 's' }]);
      assert.deepEqual(await c.read('a:x', 'is'), [1, 1.5]);
      assert.throws(() => c.read('a:x', 'z'), RangeError);
      assert.throws(() => c.add([{ entity: 'a:x', signals: 'iz' }]), RangeError);
    } finally {
      map.close();
    }
  });

  it('carry a full field into the next, more telling one (an overflow only raises a score)', async () => {
    const now = 1_800_000_000_000 - (1_800_000_000_000 % RISK_WINDOW_MS);
    const map = shmMap(() => now);
    try {
      const c = createShmRiskCounters(map, () => now);
      await c.add([{ entity: 'a:z', signals: 'i'.repeat(2048) }]);
      assert.deepEqual(await c.read('a:z', 'is'), [0, 1]);
    } finally {
      map.close();
    }
  });
});

describe('the risk engine and its store', () => {
  it('finds a token score under the token id, and one an earlier version kept under a hash of the token', async () => {
    for (const kind of ['shm', 'store'] as const) {
      const c = countersOf(kind);
      try {
        const risk = createRiskEngine({ counters: c.counters, settingsOf: () => DEFAULT_SITE_RISK, challengeTtlMs: 120_000, tokenTtlMs: 300_000, now: () => c.now.ms });
        await c.counters.keep(`rk:tok:${digestKey('token-verified-before-the-upgrade')}`, encodeTokenScore({ score: 0.4, reasons: ['address_solves'] }), 300_000);
        assert.deepEqual(await risk.tokenScore({ tokenId: 'its-id', token: 'token-verified-before-the-upgrade' }), { score: 0.4, reasons: ['address_solves'] }, kind);
        assert.equal(await risk.tokenScore({ tokenId: 'unknown-id', token: 'unknown-token' }), undefined, kind);
      } finally {
        c.close();
      }
    }
  });

  it('reads a site\'s counts once a second per worker, and once at a time from a store over the network', async () => {
    const c = countersOf('store');
    const reads: string[] = [];
    // The store's own counters, each read of an entity noted.
    const counters: RiskCounters = { ...c.counters, read: (entity, signals) => {
      reads.push(entity);
      return c.counters.read(entity, signals);
    } };
    const risk = createRiskEngine({ counters, settingsOf: () => DEFAULT_SITE_RISK, challengeTtlMs: 120_000, tokenTtlMs: 300_000, now: () => c.now.ms });
    const siteReads = (): number => reads.filter((e) => e === 's:site').length;
    await Promise.all(['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((a) => risk.assessIssue(a, 'site', 'pow', SITE)));
    assert.equal(siteReads(), 1, 'three issues at once share one read');
    await risk.assessIssue('198.51.100.4', 'site', 'pow', SITE);
    assert.equal(siteReads(), 1, 'within the second the counts are reused');
    c.now.ms += 1000;
    await risk.assessIssue('198.51.100.5', 'site', 'pow', SITE);
    assert.equal(siteReads(), 2, 'a second later they are read again');
    assert.equal(reads.filter((e) => e.startsWith('a:')).length, 5, 'every issue reads its own address');
  });
});

describe('the risk records', () => {
  it('round-trip a challenge record and a token score, and read anything else as none', () => {
    const r = { sitekey: 'site|with|bars', level: 'slide_pow' as const, byNetwork: true, byAddress: false, risk: 0.6523, reasons: ['address_solves', 'prefix_top_solves'] as const, issuedAtMs: 1_800_000_000_123.7 };
    assert.deepEqual(parseChallengeRecord(encodeChallengeRecord(r)), { ...r, risk: 0.652, reasons: [...r.reasons], issuedAtMs: 1_800_000_000_123 });
    assert.deepEqual(parseChallengeRecord(encodeChallengeRecord({ ...r, reasons: [], byNetwork: false, byAddress: true })), { ...r, risk: 0.652, reasons: [], byNetwork: false, byAddress: true, issuedAtMs: 1_800_000_000_123 });
    for (const bad of ['', '{"s":"x","r":0}', 'refuse|1|0||0|s', 'base|x|0||0|s', 'base|1|2||0|s', 'base|1|0||4|s', 'base|1|0||s']) assert.equal(parseChallengeRecord(bad), undefined, bad);
    assert.deepEqual(parseTokenScore(encodeTokenScore({ score: 0.37, reasons: ['address_top_solves'] })), { score: 0.37, reasons: ['address_top_solves'] });
    assert.equal(parseTokenScore('{"score":1}'), undefined);
  });

  it('keep the step through the rounds of a challenge: the last round of a top-step slide counts as a top solve', async () => {
    const c = countersOf('shm');
    try {
      const risk = createRiskEngine({ counters: c.counters, settingsOf: () => DEFAULT_SITE_RISK, challengeTtlMs: 120_000, tokenTtlMs: 300_000, now: () => c.now.ms });
      const decision = { step: { level: 'slide_pow' as const, type: 'slide' as const, powDifficulty: 14 }, assessment: { risk: 0.7, addressRisk: 0.7, prefixRisk: 0, reasons: ['address_solves' as const] } };
      await risk.recordIssue('198.51.100.20', 'site', 's.round-1', decision);
      // The engine reads only the next round's id.
      const next = { id: 's.round-2' } as unknown as PublicChallenge;
      await risk.recordVerify('198.51.100.20', { id: 's.round-1' }, { success: false, code: 'CHALLENGE_NEXT_ROUND', retry: false, attemptsLeft: 0, next });
      await risk.recordVerify('198.51.100.20', { id: 's.round-2' }, { success: true, token: 'tok-round', tokenId: 'id-round', expiresAt: c.now.ms + 300_000 });
      const read = [...await c.counters.read('a:198.51.100.20', 'st'), ...await c.counters.read('p:198.51.100.0/24', 'st')];
      // The address's own risk put it on the top step: a top solve of the address, a plain
      // solve of its network.
      assert.deepEqual(read, [1, 1, 1, 0]);
      // Where the network's own risk put it there, the network counts the top solve, not the address.
      const byNetwork = { ...decision, assessment: { ...decision.assessment, addressRisk: 0, prefixRisk: 0.7, reasons: ['prefix_solves' as const] } };
      await risk.recordIssue('198.51.100.21', 'site', 's.net-1', byNetwork);
      await risk.recordVerify('198.51.100.21', { id: 's.net-1' }, { success: true, token: 'tok-net', tokenId: 'id-net', expiresAt: c.now.ms + 300_000 });
      assert.deepEqual([...await c.counters.read('a:198.51.100.21', 't'), ...await c.counters.read('p:198.51.100.0/24', 'st')], [0, 2, 1]);
      const score = await risk.tokenScore({ tokenId: 'id-round', token: 'tok-round' });
      assert.ok(score !== undefined && score.score <= 0.3 && score.reasons.includes('address_solves'), JSON.stringify(score));
    } finally {
      c.close();
    }
  });
});
