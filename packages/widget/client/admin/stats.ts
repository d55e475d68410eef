// Reads the server's `GET /admin/api/stats` answer (its DashboardStats) into the figures the
// dashboard draws. Lenient: a missing field shows as "–", never as an exception.

export interface DashboardStats {
  /** Requests per second since the server's previous sample. */
  rps: number | undefined;
  passTotal: number | undefined;
  failTotal: number | undefined;
  /** Failed answers and siteverify calls by reason. */
  failByReason: Record<string, number>;
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
function outcomes(counters: Obj, prefix: string, into: DashboardStats): void {
  for (const [key, raw] of Object.entries(counters)) {
    const value = num(raw);
    if (value === undefined) continue;
    const [result = '', reason = ''] = key.split(':');
    if (/^(pass|ok|success)/i.test(result)) {
      into.passTotal = (into.passTotal ?? 0) + value;
    } else {
      into.failTotal = (into.failTotal ?? 0) + value;
      const label = `${prefix}${(reason || result).replace(/^CHALLENGE_ERR_|^SERVER_ERR_/, '').toLowerCase()}`;
      into.failByReason[label] = (into.failByReason[label] ?? 0) + value;
    }
  }
}

export function readStats(raw: unknown): DashboardStats {
  const root = obj(raw);
  const config = obj(root['config']);
  const stats: DashboardStats = {
    rps: num(root['requestsPerSecond']),
    passTotal: undefined,
    failTotal: undefined,
    failByReason: {},
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
  outcomes(obj(root['verify']), '', stats);
  const before = { pass: stats.passTotal, fail: stats.failTotal };
  outcomes(obj(root['siteverify']), 'siteverify ', stats);
  // Pass/fail cards and charts count challenge answers; siteverify only adds failure reasons.
  stats.passTotal = before.pass ?? (root['verify'] === undefined ? undefined : 0);
  stats.failTotal = before.fail ?? (root['verify'] === undefined ? undefined : 0);
  return stats;
}
