/**
 * The risk engine one worker runs: at `/v1/challenge` it reads the signals of the client's
 * address, network and site, scores them and picks the escalation step (or refuses for a
 * while); at `/v1/verify` it counts the outcome and scores a passed answer; at `/siteverify`
 * it hands back the score of the token. All state is in the state store (risk-counters.ts),
 * so every worker and every machine sees the same picture.
 *
 * The engine fails open: a store error while reading or counting signals is counted
 * (`hurdle_store_errors_total{op="risk"}`) and the request goes on at the base step, since a
 * broken signal must not lock people out; the challenge's own store calls then apply the
 * server's failure policy.
 */
import type { ChallengeType, ProbeSignal, VerifyResult } from '@hurdle/challenge';
import { addressKey } from '../http/client-address.js';
import type { WorkerMetrics } from '../metrics.js';
import { chooseStep } from './escalation.js';
import type { EscalationStep } from './escalation.js';
import { networkPrefix } from './network-prefix.js';
import type { EntityCount, MaybePromise, RiskCounters, RiskStanding } from './risk-counters.js';
import { createIdDigests, digestKey, encodeChallengeRecord, encodeTokenScore, parseChallengeRecord, parseTokenScore } from './risk-records.js';
import type { ChallengeRiskRecord, TokenScore } from './risk-records.js';
import { RiskRefusedError } from './risk-refusal.js';
import { assessAnswer, assessSignals, probeParts, publicScore } from './risk-score.js';
import type { RiskAssessment, RiskSignals } from './risk-score.js';
import { ESCALATION_THRESHOLDS, PROBE_FLAG_PRESSURE, RISK_PAUSE_MS } from './risk-weights.js';
import { DEFAULT_SITE_RISK } from './site-risk-settings.js';
import type { SiteRiskSettings } from './site-risk-settings.js';
import { HUMAN_TRACE_CALIBRATION } from './trace-calibration.js';
import { traceRisk } from './trace-score.js';
import type { TraceCalibration, TraceSample } from './trace-score.js';

export type { TokenScore } from './risk-records.js';

export interface RiskEngineOptions {
  /** The signals, pauses and records, in the state store (risk-counters.ts). */
  counters: RiskCounters;
  /** The risk settings of a site, from the config mirror; undefined for an unknown site. */
  settingsOf(sitekey: string): SiteRiskSettings | undefined;
  metrics?: WorkerMetrics | undefined;
  /** Addresses neither counted nor escalated (loopback while `rateLimit.exemptLoopback`). @default none */
  exempt?: ((address: string) => boolean) | undefined;
  /** How long a challenge's assessment is kept (the challenge lifetime), ms. */
  challengeTtlMs: number;
  /** How long a token's score is kept (the token lifetime), ms. */
  tokenTtlMs: number;
  /** @default HUMAN_TRACE_CALIBRATION */
  calibration?: TraceCalibration | undefined;
  now?: (() => number) | undefined;
}

/** What `/v1/challenge` should issue. */
export interface IssueDecision {
  readonly step: Exclude<EscalationStep, { level: 'refuse' }>;
  readonly assessment: RiskAssessment;
  /** The visitor asked for the puzzle-free path of a site that has puzzles (counted per network). */
  readonly puzzleFree?: boolean | undefined;
}

export interface RiskEngine {
  /**
   * Score an issue request and choose its step. Throws `SERVER_ERR_RISK_REFUSED` (429, with
   * `retryAfterS`) at the top of the ladder or while the address or its network is refused.
   */
  assessIssue(address: string, sitekey: string, requested: ChallengeType | undefined, site: { readonly challengeTypes: readonly ChallengeType[]; readonly difficulty: number }): Promise<IssueDecision>;
  /** Count an issued challenge and keep its assessment for its verify. */
  recordIssue(address: string, sitekey: string, challengeId: string, decision: IssueDecision): Promise<void>;
  /**
   * Count a verify's outcome; for a pass, score it and keep the score for the token's
   * siteverify. Returns that score (undefined for anything but a pass).
   */
  recordVerify(address: string, request: { readonly id: string; readonly trajectory?: unknown; readonly input?: unknown; readonly probeSignals?: readonly ProbeSignal[] | undefined }, result: VerifyResult): Promise<TokenScore | undefined>;
  /**
   * The score kept for a token, under its one-time id (`RedeemResult.tokenId`); undefined when
   * none was (issued before the engine ran, or a store error).
   */
  tokenScore(token: { readonly tokenId: string; readonly token: string }): Promise<TokenScore | undefined>;
}

/** Failures that say something about the answerer (not an expired or unknown challenge). */
const ANSWER_FAILURES: ReadonlySet<string> = new Set([
  'CHALLENGE_ERR_WRONG_ANSWER', 'CHALLENGE_ERR_TRAJECTORY_REJECTED', 'CHALLENGE_ERR_TIMING_REJECTED',
  'CHALLENGE_ERR_GEOMETRY_REJECTED', 'CHALLENGE_ERR_REPLAY_DETECTED', 'CHALLENGE_ERR_POW_INSUFFICIENT',
  'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', 'CHALLENGE_ERR_ALREADY_SOLVED', 'CHALLENGE_ERR_SIGNATURE_INVALID',
]);

const NO_SIGNALS: RiskSignals = Object.freeze({
  address: { issues: 0, solves: 0, topSolves: 0, failures: 0, replays: 0, refusals: 0 },
  prefix: { issues: 0, solves: 0, topSolves: 0, failures: 0, refusals: 0 },
  site: { issues: 0, failures: 0 },
});
const NOT_STANDING: RiskStanding = Object.freeze({ pausedMs: 0, strikes: 0 });

/**
 * The counts of one client address and its network, built once per address: an issue, its
 * verify and the next issue from the same visitor reuse them. Letters: risk-counters.ts FIELDS.
 */
interface AddressKeys {
  readonly a: string;
  readonly p: string;
  readonly issued: readonly EntityCount[];
  /** An issue on the puzzle-free path of a site that has puzzles. */
  readonly issuedPuzzleFree: readonly EntityCount[];
  readonly solved: readonly EntityCount[];
  /**
   * A token won at the top paid step counts as a solve, and as a top solve of the address, of
   * the network or of both: of each whose own risk put the visitor there (by address, by
   * network, by both). Where neither alone did (a flagged browser probe, say), it is a solve.
   */
  readonly solvedAtTop: { readonly byAddress: readonly EntityCount[]; readonly byNetwork: readonly EntityCount[]; readonly byBoth: readonly EntityCount[] };
  readonly failed: readonly EntityCount[];
  readonly replayed: readonly EntityCount[];
  /** An answer whose browser probe was flagged. */
  readonly probeFlagged: readonly EntityCount[];
}

/** What an issue reads of the address (issued, solved, top solves, failed, replayed, probe flags) and of its network. */
const ADDRESS_SIGNALS = 'istfrb';
const NETWORK_SIGNALS = 'istfq';

/** The counts of one site: read at issue (issued, failed), counted at issue and at a failed answer. */
interface SiteKeys {
  readonly entity: string;
  readonly issued: readonly EntityCount[];
  readonly failed: readonly EntityCount[];
  /** The site's counts as this worker last read them, and when (see SITE_READ_REUSE_MS). */
  counts: readonly number[] | undefined;
  readAtMs: number;
  /** A read from a store over the network still on its way: issues meanwhile wait on it. */
  pending: Promise<readonly number[]> | undefined;
}

/**
 * How long a worker reuses a site's counts. Every issue of a site reads them, and a site's
 * issues and failures over a sliding minute move by a second's worth at most in that time: the
 * site's failure rate (the only score part they feed) is the same number either way, at one
 * store read per site per second instead of one per visitor.
 */
const SITE_READ_REUSE_MS = 1000;

/** The counts of a pass: see {@link AddressKeys.solvedAtTop}. */
function topSolveKeys(k: AddressKeys, record: ChallengeRiskRecord | undefined): readonly EntityCount[] {
  if (record?.level !== 'slide_pow') return k.solved;
  if (record.byAddress) return record.byNetwork ? k.solvedAtTop.byBoth : k.solvedAtTop.byAddress;
  return record.byNetwork ? k.solvedAtTop.byNetwork : k.solved;
}

function keysOfAddress(address: string): AddressKeys {
  const a = `a:${addressKey(address)}`;
  const p = `p:${networkPrefix(address)}`;
  const of = (entity: string, signals: string): EntityCount => ({ entity, signals });
  return {
    a, p,
    issued: [of(a, 'i'), of(p, 'i')], issuedPuzzleFree: [of(a, 'i'), of(p, 'iq')], solved: [of(a, 's'), of(p, 's')],
    solvedAtTop: { byAddress: [of(a, 'st'), of(p, 's')], byNetwork: [of(a, 's'), of(p, 'st')], byBoth: [of(a, 'st'), of(p, 'st')] },
    failed: [of(a, 'f'), of(p, 'f')], replayed: [of(a, 'fr'), of(p, 'f')], probeFlagged: [of(a, 'b')],
  };
}

/**
 * Most addresses (and sites) whose keys a worker keeps; the whole table is dropped when full.
 * Small on purpose: a visitor's verify follows its issue within seconds, and a table that
 * lives longer than the young generation costs more in garbage collection than it saves.
 */
const KEY_CACHE_MAX = 256;

/** A plain loop: it runs on every passed slide, where `every` with two closures cost more than the check. */
function isTrace(value: unknown): value is TraceSample[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const s of value as unknown[]) {
    if (!Array.isArray(s) || s.length !== 3 || typeof s[0] !== 'number' || typeof s[1] !== 'number' || typeof s[2] !== 'number') return false;
  }
  return true;
}

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

export function createRiskEngine(options: RiskEngineOptions): RiskEngine {
  const { counters, metrics } = options;
  const now = options.now ?? Date.now;
  const exempt = options.exempt ?? (() => false);
  const calibration = options.calibration ?? HUMAN_TRACE_CALIBRATION;
  const idDigest = createIdDigests(KEY_CACHE_MAX);
  const addressKeys = new Map<string, AddressKeys>();
  const keysOf = (address: string): AddressKeys => {
    let k = addressKeys.get(address);
    if (k === undefined) {
      k = keysOfAddress(address);
      if (addressKeys.size >= KEY_CACHE_MAX) addressKeys.clear();
      addressKeys.set(address, k);
    }
    return k;
  };
  const siteKeys = new Map<string, SiteKeys>();
  const keysOfSite = (sitekey: string): SiteKeys => {
    let k = siteKeys.get(sitekey);
    if (k === undefined) {
      const entity = `s:${sitekey}`;
      k = { entity, issued: [{ entity, signals: 'i' }], failed: [{ entity, signals: 'f' }], counts: undefined, readAtMs: 0, pending: undefined };
      if (siteKeys.size >= KEY_CACHE_MAX) siteKeys.clear();
      siteKeys.set(sitekey, k);
    }
    return k;
  };
  /** A site's counts, read again once SITE_READ_REUSE_MS old. */
  const siteCounts = (k: SiteKeys): MaybePromise<readonly number[]> => {
    const t = now();
    if (k.counts !== undefined && t - k.readAtMs < SITE_READ_REUSE_MS) return k.counts;
    if (k.pending !== undefined) return k.pending;
    const r = counters.read(k.entity, 'if');
    const keep = (counts: readonly number[]): readonly number[] => {
      k.counts = counts;
      k.readAtMs = t;
      return counts;
    };
    if (!isPromise(r)) return keep(r);
    // One read per site at a time; a failed one is not kept, so the next issue reads again.
    const pending = r.then(keep).finally(() => {
      if (k.pending === pending) k.pending = undefined;
    });
    k.pending = pending;
    return pending;
  };
  const storeError = (): void => {
    metrics?.storeErrors.inc({ op: 'risk' });
  };
  /**
   * Run a counter call that returns nothing; a failure is counted, never thrown (fail open).
   * Returns the pending call only when there is one: the shared-memory counters are done.
   */
  const write = (fn: () => MaybePromise<void>): Promise<void> | undefined => {
    try {
      const r = fn();
      if (isPromise(r)) return r.catch(storeError);
    } catch {
      storeError();
    }
    return undefined;
  };
  const settle = async (pending: readonly (Promise<void> | undefined)[]): Promise<void> => {
    for (const p of pending) if (p !== undefined) await p;
  };
  const refused = (scope: 'address' | 'prefix', reason: string, ms: number): RiskRefusedError => {
    metrics?.riskRefused.inc({ scope, reason });
    return new RiskRefusedError(scope, reason, Math.max(1, Math.ceil(ms / 1000)));
  };
  const parseRecord = (raw: string | undefined): ChallengeRiskRecord | undefined => (raw === undefined ? undefined : parseChallengeRecord(raw));
  const fetchRecord = (id: string): MaybePromise<ChallengeRiskRecord | undefined> => {
    try {
      const r = counters.fetch(`rk:ch:${idDigest(id)}`);
      if (!isPromise(r)) return parseRecord(r);
      return r.then(parseRecord, () => {
        storeError();
        return undefined;
      });
    } catch {
      storeError();
      return undefined;
    }
  };

  return {
    async assessIssue(address, sitekey, requested, site) {
      const settings = options.settingsOf(sitekey) ?? DEFAULT_SITE_RISK;
      let signals = NO_SIGNALS;
      if (!exempt(address)) {
        const k = keysOf(address);
        let read: [RiskStanding, RiskStanding, readonly number[], readonly number[], readonly number[]];
        try {
          // One pass over every signal; the shared-memory counters answer at once, a store
          // over the network in parallel.
          const ra = counters.standing(k.a);
          const rp = counters.standing(k.p);
          const rv = counters.read(k.a, ADDRESS_SIGNALS);
          const rw = counters.read(k.p, NETWORK_SIGNALS);
          const rs = siteCounts(keysOfSite(sitekey));
          read = isPromise(ra) || isPromise(rp) || isPromise(rv) || isPromise(rw) || isPromise(rs) ? await Promise.all([ra, rp, rv, rw, rs]) : [ra, rp, rv, rw, rs];
        } catch {
          storeError();
          read = [NOT_STANDING, NOT_STANDING, [], [], []];
        }
        const [standA, standP, v, w, s] = read;
        if (settings.checks.refuse && standA.pausedMs > 0) throw refused('address', 'paused', standA.pausedMs);
        if (settings.checks.refuse && standP.pausedMs > 0) throw refused('prefix', 'paused', standP.pausedMs);
        if (v.length === 6 && w.length === 5 && s.length === 2) {
          // In the order of ADDRESS_SIGNALS and NETWORK_SIGNALS.
          const [ai, as, at, af, ar, ab] = v as [number, number, number, number, number, number];
          const [pi, ps, pt, pf, pq] = w as [number, number, number, number, number];
          signals = {
            address: { issues: ai, solves: as, topSolves: at, failures: af, replays: ar, refusals: standA.strikes, probeFlags: ab },
            prefix: { issues: pi, solves: ps, topSolves: pt, failures: pf, puzzleFreeIssues: pq, refusals: standP.strikes },
            site: { issues: s[0] as number, failures: s[1] as number },
          };
        }
      }
      const assessment = assessSignals(signals, settings);
      const step = chooseStep(assessment, site, requested, settings);
      if (step.level === 'refuse') {
        const k = keysOf(address);
        let ms = RISK_PAUSE_MS;
        try {
          const r = counters.pause(step.scope === 'address' ? k.a : k.p, RISK_PAUSE_MS);
          ms = isPromise(r) ? await r : r;
        } catch {
          storeError();
        }
        throw refused(step.scope, assessment.reasons[0] ?? 'risk', ms);
      }
      metrics?.riskScore.observe({ phase: 'issue' }, assessment.risk);
      metrics?.escalations.inc({ level: step.level });
      return { step, assessment, puzzleFree: requested === 'pow' && site.challengeTypes.includes('slide') };
    },

    recordIssue(address, sitekey, challengeId, decision) {
      const level = decision.step.level;
      const byNetwork = level === 'slide_pow' && decision.assessment.prefixRisk >= ESCALATION_THRESHOLDS.slidePow;
      const byAddress = level === 'slide_pow' && decision.assessment.addressRisk >= ESCALATION_THRESHOLDS.slidePow;
      const record = encodeChallengeRecord({ sitekey, level, byNetwork, byAddress, risk: decision.assessment.risk, reasons: decision.assessment.reasons, issuedAtMs: now() });
      const kept = write(() => counters.keep(`rk:ch:${idDigest(challengeId)}`, record, options.challengeTtlMs));
      if (exempt(address)) return kept ?? Promise.resolve();
      const k = keysOf(address);
      const issued = write(() => counters.add(decision.puzzleFree === true ? k.issuedPuzzleFree : k.issued));
      const site = write(() => counters.add(keysOfSite(sitekey).issued));
      return kept === undefined && issued === undefined && site === undefined ? Promise.resolve() : settle([kept, issued, site]);
    },

    async recordVerify(address, request, result) {
      const fetched = fetchRecord(request.id);
      const record = isPromise(fetched) ? await fetched : fetched;
      const settings = (record && options.settingsOf(record.sitekey)) ?? DEFAULT_SITE_RISK;
      // Every round's probe counts for the token: the signals of earlier rounds travel in the record.
      const probe = request.probeSignals === undefined ? record?.probe : [...new Set([...(record?.probe ?? []), ...request.probeSignals])];
      let counted: Promise<void> | undefined;
      let siteCounted: Promise<void> | undefined;
      let flagCounted: Promise<void> | undefined;
      if (!exempt(address)) {
        const k = keysOf(address);
        // A probe that ran and looked wrong marks the address (a missing one weighs on the token only).
        const ran = request.probeSignals?.filter((sig) => sig !== 'probe_missing');
        if (ran !== undefined && ran.length > 0 && probeParts(ran, settings).reduce((sum, [, w]) => sum + w, 0) >= PROBE_FLAG_PRESSURE) {
          flagCounted = write(() => counters.add(k.probeFlagged));
        }
        if (result.success) {
          counted = write(() => counters.add(topSolveKeys(k, record)));
        } else if (ANSWER_FAILURES.has(result.code)) {
          counted = write(() => counters.add(result.code === 'CHALLENGE_ERR_REPLAY_DETECTED' ? k.replayed : k.failed));
          if (record) siteCounted = write(() => counters.add(keysOfSite(record.sitekey).failed));
        }
      }
      if (counted !== undefined || siteCounted !== undefined || flagCounted !== undefined) await settle([counted, siteCounted, flagCounted]);
      if (!result.success && result.code === 'CHALLENGE_NEXT_ROUND') {
        // The next round is the same challenge under a new id: it keeps the issue's assessment
        // and step, with its own issue time (the solve time is measured per round).
        if (record !== undefined) {
          const next = encodeChallengeRecord({ ...record, issuedAtMs: now(), probe });
          const kept = write(() => counters.keep(`rk:ch:${idDigest(result.next.id)}`, next, options.challengeTtlMs));
          if (kept !== undefined) await kept;
        }
        return;
      }
      if (!result.success) return;
      const slide = request.id.startsWith('s.');
      const keyboard = request.input === 'keyboard';
      const scored = assessAnswer(
        { risk: record?.risk ?? 0, reasons: record?.reasons ?? [] },
        {
          type: slide ? 'slide' : 'pow',
          keyboard,
          // The trace score is calibrated on drags; a keyboard trace is weighed by its claim alone.
          traceRisk: slide && !keyboard && isTrace(request.trajectory) ? traceRisk(request.trajectory, calibration) : undefined,
          elapsedMs: record ? now() - record.issuedAtMs : Number.POSITIVE_INFINITY,
          probe,
        },
        settings,
      );
      metrics?.riskScore.observe({ phase: 'verify' }, scored.risk);
      const kept: TokenScore = { score: publicScore(scored.risk), reasons: scored.reasons };
      // Under the token's one-time id, which is no secret: a store dump gives no token away, and
      // neither this write nor the siteverify's read hashes the token.
      const written = write(() => counters.keep(`rk:tok:${result.tokenId}`, encodeTokenScore(kept), options.tokenTtlMs));
      if (written !== undefined) await written;
      return kept;
    },

    async tokenScore({ tokenId, token }) {
      try {
        const r = counters.fetch(`rk:tok:${tokenId}`);
        let raw = isPromise(r) ? await r : r;
        if (raw === undefined) {
          // A token whose verify ran on an instance of an earlier version (a rolling upgrade,
          // for one token lifetime) has its score under a hash of the token: without this read
          // its site's minimum score would go unchecked.
          const old = counters.fetch(`rk:tok:${digestKey(token)}`);
          raw = isPromise(old) ? await old : old;
        }
        return raw === undefined ? undefined : parseTokenScore(raw);
      } catch {
        storeError();
        return undefined;
      }
    },
  };
}
