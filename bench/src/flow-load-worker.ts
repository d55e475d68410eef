/**
 * One load-generator process of the server bench's worker sweep: drives Hurdle's PoW flow
 * (hurdle-flow.ts) with autocannon for a while and reports over IPC what it served and what
 * it cost this process, so the parent can run several of them on a many-core machine and
 * tell the load generator's CPU apart from the server's.
 *
 * Usage (forked): flow-load-worker.js URL SITEKEY SECRET CONNECTIONS DURATION_S
 */
import autocannon from 'autocannon';
import { challengeRequest, siteverifyRequest, solveInto, verifyRequest } from './hurdle-flow.js';
import type { Tally } from './hurdle-flow.js';
import { selfCpuMs } from './process-cpu.js';

const [url = '', sitekey = '', secret = '', connections = '32', durationS = '5'] = process.argv.slice(2);

/** What one load-generator process reports. */
export interface FlowLoadReport {
  flows: number;
  failed: number;
  requests: number;
  non2xx: number;
  p50_ms: number;
  p99_ms: number;
  cpu_ms: number;
  wall_ms: number;
}

const tally: Tally = { ok: 0, fail: 0, exhausted: 0 };
const requests = [
  challengeRequest(sitekey, 'pow', solveInto),
  verifyRequest((context, token) => {
    context.token = token;
  }),
  siteverifyRequest(secret, (context) => context.token, tally),
];
const run = (d: number): Promise<autocannon.Result> => new Promise((resolve, reject) => {
  autocannon({ url, connections: Number(connections), duration: d, requests, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
});
// The parent says go once every load generator is ready, so their runs overlap.
process.send?.({ ready: true });
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const c0 = selfCpuMs();
const t0 = performance.now();
const r = await run(Number(durationS));
const report: FlowLoadReport = {
  flows: tally.ok,
  failed: tally.fail,
  requests: r.requests.total,
  non2xx: r.non2xx,
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  cpu_ms: selfCpuMs() - c0,
  wall_ms: performance.now() - t0,
};
process.send?.(report);
process.disconnect?.();
