// Reads the server's `GET /admin/api/stats` answer (its DashboardStats) into the figures the
// dashboard draws. Lenient: a missing field shows as "–", never as an exception.

export interface DashboardStats {
  /** Requests per second since the server's previous sample. */
  rps: number | undefined;
  /** Challenge answers (`/v1/verify`) that passed and failed; the failures sum to {@link failByReason}. */
  passTotal: number | undefined;
  failTotal: number | undefined;
  /** Failed answers by reason: their sum is `failTotal`, so the card and the list agree. */
  failByReason: Record<string, number>;
  /** `/siteverify` calls that passed and failed; the failures sum to {@link siteverifyFailByReason}. */
  siteverifyPass: number | undefined;
  siteverifyFail: number | undefined;
  siteverifyFailByReason: Record<string, number>;
  shed: number | undefined;
  rateLimited: number | undefined;
  p99Ms: number | undefined;
  poolDepth: number | undefined;
  ringNodes: { id: string; state: string }[];
  workers: { id: string; elu: number; delayMs: number | undefined; queueDepth: number | undefined }[];
  config: { sites: number | undefined; generation: number | undefined; dbUp: boolean | undefined };
}

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Splits counters keyed `result:reason` (e.g. `pass:`, `fail:CHALLENGE_ERR_WRONG_ANSWER`)
 * into pass and fail totals and fail counts by reason.
 */
function outcomes(counters: Obj): { pass: number; fail: number; byReason: Record<string, number> } {
  const out = { pass: 0, fail: 0, byReason: {} as Record<string, number> };
  for (const [key, raw] of Object.entries(counters)) {
    const value = num(raw);
    if (value === undefined) continue;
    const [result = '', reason = ''] = key.split(':');
    if (/^(pass|ok|success)/i.test(result)) {
      out.pass += value;
    } else {
      out.fail += value;
      const label = (reason || result).replace(/^CHALLENGE_ERR_|^SERVER_ERR_/, '').toLowerCase();
      out.byReason[label] = (out.byReason[label] ?? 0) + value;
    }
  }
  return out;
}

export function readStats(raw: unknown): DashboardStats {
  const root = obj(raw);
  const config = obj(root['config']);
  const stats: DashboardStats = {
    rps: num(root['requestsPerSecond']),
    passTotal: undefined,
    failTotal: undefined,
    failByReason: {},
    siteverifyPass: undefined,
    siteverifyFail: undefined,
    siteverifyFailByReason: {},
    shed: num(root['shed']),
    rateLimited: num(root['rateLimited']),
    p99Ms: num(root['p99LatencyMs']),
    poolDepth: num(root['poolDepth']),
    ringNodes: Object.entries(obj(root['ringNodes'])).map(([id, state]) => ({ id, state: String(state) })),
    workers: (Array.isArray(root['workers']) ? (root['workers'] as unknown[]) : []).map((w, i) => {
      const o = obj(w);
      return {
        id: String(o['worker'] ?? i + 1),
        elu: Math.max(0, Math.min(1, num(o['eventLoopUtilization']) ?? 0)),
        delayMs: num(o['eventLoopDelayMs']),
        queueDepth: num(o['queueDepth']),
      };
    }),
    config: { sites: num(config['sites']), generation: num(config['generation']), dbUp: typeof config['dbUp'] === 'boolean' ? config['dbUp'] : undefined },
  };
  // Answers and siteverify calls are counted apart, each card beside its own list of reasons:
  // one "Failed" total over two kinds of failure listed together is how they disagreed.
  if (root['verify'] !== undefined) {
    const v = outcomes(obj(root['verify']));
    stats.passTotal = v.pass;
    stats.failTotal = v.fail;
    stats.failByReason = v.byReason;
  }
  if (root['siteverify'] !== undefined) {
    const sv = outcomes(obj(root['siteverify']));
    stats.siteverifyPass = sv.pass;
    stats.siteverifyFail = sv.fail;
    stats.siteverifyFailByReason = sv.byReason;
  }
  return stats;
}
