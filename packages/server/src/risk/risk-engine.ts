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
import { createHash } from 'node:crypto';
import type { ChallengeStore, ChallengeType, VerifyResult } from '@hurdle/challenge';
import { addressKey } from '../http/client-address.js';
import type { WorkerMetrics } from '../metrics.js';
import { chooseStep } from './escalation.js';
import type { EscalationStep } from './escalation.js';
import { networkPrefix } from './network-prefix.js';
import type { RiskCounters } from './risk-counters.js';
import { RiskRefusedError } from './risk-refusal.js';
import { assessAnswer, assessSignals, publicScore } from './risk-score.js';
import type { RiskAssessment, RiskReason, RiskSignals } from './risk-score.js';
import { RISK_PAUSE_MS } from './risk-weights.js';
import { DEFAULT_SITE_RISK } from './site-risk-settings.js';
import type { SiteRiskSettings } from './site-risk-settings.js';
import { HUMAN_TRACE_CALIBRATION } from './trace-calibration.js';
import { traceRisk } from './trace-score.js';
import type { TraceCalibration, TraceSample } from './trace-score.js';

export interface RiskEngineOptions {
  counters: RiskCounters;
  /** Where each challenge's assessment and each token's score are kept (the state store). */
  store: ChallengeStore;
  /** The risk settings of a site, from the config mirror; undefined for an unknown site. */
  settingsOf(sitekey: string): SiteRiskSettings | undefined;
  metrics?: WorkerMetrics | undefined;
  /** Addresses neither counted nor escalated (loopback while `rateLimit.exemptLoopback`). @default none */
  exempt?: ((address: string) => boolean) | undefined;
  /** How long a challenge's assessment is kept (the challenge lifetime). */
  challengeTtlMs: number;
  /** How long a token's score is kept (the token lifetime). */
  tokenTtlMs: number;
  /** @default HUMAN_TRACE_CALIBRATION */
  calibration?: TraceCalibration | undefined;
  now?: (() => number) | undefined;
}

/** What `/v1/challenge` should issue. */
export interface IssueDecision {
  readonly step: Exclude<EscalationStep, { level: 'refuse' }>;
  readonly assessment: RiskAssessment;
}

/** A token's score as `/siteverify` reports it. */
export interface TokenScore {
  /** 1.0 very likely a person .. 0.0 very likely a bot. */
  readonly score: number;
  readonly reasons: readonly RiskReason[];
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
  recordVerify(address: string, request: { readonly id: string; readonly trajectory?: unknown; readonly input?: unknown }, result: VerifyResult): Promise<TokenScore | undefined>;
  /** The score kept for a token; undefined when none was (issued before the engine ran, or a store error). */
  tokenScore(token: string): Promise<TokenScore | undefined>;
}

/** A challenge's assessment as kept in the store (short keys: one per issue). */
interface ChallengeRiskRecord {
  /** sitekey */
  s: string;
  /** issue risk */
  r: number;
  /** reasons */
  rs: RiskReason[];
  /** issued at, epoch ms */
  t: number;
}

/** Failures that say something about the answerer (not an expired or unknown challenge). */
const ANSWER_FAILURES: ReadonlySet<string> = new Set([
  'CHALLENGE_ERR_WRONG_ANSWER', 'CHALLENGE_ERR_TRAJECTORY_REJECTED', 'CHALLENGE_ERR_TIMING_REJECTED',
  'CHALLENGE_ERR_GEOMETRY_REJECTED', 'CHALLENGE_ERR_REPLAY_DETECTED', 'CHALLENGE_ERR_POW_INSUFFICIENT',
  'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', 'CHALLENGE_ERR_ALREADY_SOLVED', 'CHALLENGE_ERR_SIGNATURE_INVALID',
]);

const NO_SIGNALS: RiskSignals = Object.freeze({
  address: { issues: 0, solves: 0, failures: 0, replays: 0, refusals: 0 },
  prefix: { issues: 0, solves: 0, failures: 0, refusals: 0 },
  site: { issues: 0, failures: 0 },
});

/** A short store key for an id or token (ids of PoW challenges and tokens are long, and a token is a secret). */
function digestKey(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22);
}

function isTrace(value: unknown): value is TraceSample[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => Array.isArray(s) && s.length === 3 && s.every((v) => typeof v === 'number'));
}

export function createRiskEngine(options: RiskEngineOptions): RiskEngine {
  const { counters, store, metrics } = options;
  const now = options.now ?? Date.now;
  const exempt = options.exempt ?? (() => false);
  const calibration = options.calibration ?? HUMAN_TRACE_CALIBRATION;
  const keysOf = (address: string): { a: string; p: string } => ({ a: `a:${addressKey(address)}`, p: `p:${networkPrefix(address)}` });
  const storeError = (): void => {
    metrics?.storeErrors.inc({ op: 'risk' });
  };
  const refused = (scope: 'address' | 'prefix', reason: string, ms: number): RiskRefusedError => {
    metrics?.riskRefused.inc({ scope, reason });
    return new RiskRefusedError(scope, reason, Math.max(1, Math.ceil(ms / 1000)));
  };

  return {
    async assessIssue(address, sitekey, requested, site) {
      const settings = options.settingsOf(sitekey) ?? DEFAULT_SITE_RISK;
      let signals = NO_SIGNALS;
      if (!exempt(address)) {
        const { a, p } = keysOf(address);
        const s = `s:${sitekey}`;
        const none = { pausedMs: 0, strikes: 0 };
        let read: [typeof none, typeof none, number[]];
        try {
          read = await Promise.all([
            counters.standing(a),
            counters.standing(p),
            counters.read([`${a}:i`, `${a}:s`, `${a}:f`, `${a}:r`, `${p}:i`, `${p}:s`, `${p}:f`, `${s}:i`, `${s}:f`]),
          ]);
        } catch {
          storeError();
          read = [none, none, []];
        }
        const [standA, standP, v] = read;
        if (settings.checks.refuse && standA.pausedMs > 0) throw refused('address', 'paused', standA.pausedMs);
        if (settings.checks.refuse && standP.pausedMs > 0) throw refused('prefix', 'paused', standP.pausedMs);
        if (v.length === 9) {
          const n = (i: number): number => v[i] as number;
          signals = {
            address: { issues: n(0), solves: n(1), failures: n(2), replays: n(3), refusals: standA.strikes },
            prefix: { issues: n(4), solves: n(5), failures: n(6), refusals: standP.strikes },
            site: { issues: n(7), failures: n(8) },
          };
        }
      }
      const assessment = assessSignals(signals, settings);
      const step = chooseStep(assessment, site, requested, settings);
      if (step.level === 'refuse') {
        const key = step.scope === 'address' ? keysOf(address).a : keysOf(address).p;
        let ms = RISK_PAUSE_MS;
        try {
          ms = await counters.pause(key, RISK_PAUSE_MS);
        } catch {
          storeError();
        }
        throw refused(step.scope, assessment.reasons[0] ?? 'risk', ms);
      }
      metrics?.riskScore.observe({ phase: 'issue' }, assessment.risk);
      metrics?.escalations.inc({ level: step.level });
      return { step, assessment };
    },

    async recordIssue(address, sitekey, challengeId, decision) {
      const record: ChallengeRiskRecord = { s: sitekey, r: Math.round(decision.assessment.risk * 1000) / 1000, rs: [...decision.assessment.reasons], t: Math.floor(now()) };
      const writes: Promise<void>[] = [store.set(`rk:ch:${digestKey(challengeId)}`, JSON.stringify(record), options.challengeTtlMs)];
      if (!exempt(address)) {
        const { a, p } = keysOf(address);
        writes.push(counters.add([`${a}:i`, `${p}:i`, `s:${sitekey}:i`]));
      }
      await Promise.all(writes).catch(storeError);
    },

    async recordVerify(address, request, result) {
      let record: ChallengeRiskRecord | undefined;
      try {
        const raw = await store.get(`rk:ch:${digestKey(request.id)}`);
        record = raw === undefined ? undefined : JSON.parse(raw) as ChallengeRiskRecord;
      } catch {
        storeError();
      }
      const settings = (record && options.settingsOf(record.s)) ?? DEFAULT_SITE_RISK;
      if (!exempt(address)) {
        const { a, p } = keysOf(address);
        let keys: string[] = [];
        if (result.success) keys = [`${a}:s`, `${p}:s`];
        else if (ANSWER_FAILURES.has(result.code)) {
          keys = [`${a}:f`, `${p}:f`, ...(record ? [`s:${record.s}:f`] : [])];
          if (result.code === 'CHALLENGE_ERR_REPLAY_DETECTED') keys.push(`${a}:r`);
        }
        if (keys.length > 0) await counters.add(keys).catch(storeError);
      }
      if (!result.success && result.code === 'CHALLENGE_NEXT_ROUND') {
        // The next round is the same challenge under a new id: it keeps the issue's assessment,
        // with its own issue time (the solve time is measured per round).
        if (record !== undefined) {
          await store.set(`rk:ch:${digestKey(result.next.id)}`, JSON.stringify({ ...record, t: Math.floor(now()) }), options.challengeTtlMs).catch(storeError);
        }
        return;
      }
      if (!result.success) return;
      const slide = request.id.startsWith('s.');
      const keyboard = request.input === 'keyboard';
      const scored = assessAnswer(
        { risk: record?.r ?? 0, reasons: record?.rs ?? [] },
        {
          type: slide ? 'slide' : 'pow',
          keyboard,
          // The trace score is calibrated on drags; a keyboard trace is weighed by its claim alone.
          traceRisk: slide && !keyboard && isTrace(request.trajectory) ? traceRisk(request.trajectory, calibration) : undefined,
          elapsedMs: record ? now() - record.t : Number.POSITIVE_INFINITY,
        },
        settings,
      );
      metrics?.riskScore.observe({ phase: 'verify' }, scored.risk);
      const kept: TokenScore = { score: publicScore(scored.risk), reasons: scored.reasons };
      await store.set(`rk:tok:${digestKey(result.token)}`, JSON.stringify(kept), options.tokenTtlMs).catch(storeError);
      return kept;
    },

    async tokenScore(token) {
      try {
        const raw = await store.get(`rk:tok:${digestKey(token)}`);
        return raw === undefined ? undefined : JSON.parse(raw) as TokenScore;
      } catch {
        storeError();
        return undefined;
      }
    },
  };
}
