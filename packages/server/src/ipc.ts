/**
 * Messages between the cluster primary and its workers (node:cluster IPC). Workers ask the
 * primary for what only it has (admin writes to the config DB, machine-wide metrics);
 * the primary asks workers for their metrics and tells them to shut down.
 */
import { ServerError } from './errors.js';
import type { ServerErrorCode } from './errors.js';
import type { MetricsJson } from './metrics.js';
import type { ServerOptions } from './options.js';
import type { PrefixDelta } from './risk/prefix-tally.js';
import type { AnalyticsDelta } from './site-analytics.js';

export type AdminOp = 'listSites' | 'getSite' | 'createSite' | 'updateSite' | 'rotateSecret' | 'disableSite'
  | 'analytics' | 'analyticsCsv' | 'riskPrefixes' | 'auditLog' | 'recordAudit';

/** Every {@link AdminOp}: the primary answers only these. */
export const ADMIN_OPS: readonly AdminOp[] = ['listSites', 'getSite', 'createSite', 'updateSite', 'rotateSecret', 'disableSite', 'analytics', 'analyticsCsv', 'riskPrefixes', 'auditLog', 'recordAudit'];

/** Primary -> worker: everything a worker needs to start. */
export interface InitMessage {
  hurdle: 'init';
  workerId: string;
  options: ServerOptions;
  configSegment: string;
  stateSegment: string | undefined;
}

export type WorkerRequest =
  | { hurdle: 'req'; id: number; op: 'admin'; method: AdminOp; args: unknown[] }
  | { hurdle: 'req'; id: number; op: 'metrics' }
  | { hurdle: 'req'; id: number; op: 'stats' };

export type PrimaryReply =
  | { hurdle: 'res'; id: number; ok: true; value: unknown }
  | { hurdle: 'res'; id: number; ok: false; error: { code: string; message: string } };

export type PrimaryToWorker =
  | InitMessage
  | PrimaryReply
  | { hurdle: 'collect'; id: number }
  /** The config mirror moved to a larger segment: attach `name`, then answer `config-segment-switched`. */
  | { hurdle: 'config-segment'; name: string }
  | { hurdle: 'shutdown' };

export type WorkerToPrimary =
  | WorkerRequest
  | { hurdle: 'collected'; id: number; metrics: MetricsJson }
  | { hurdle: 'listening'; port: number; host: string }
  | { hurdle: 'ready' }
  /** Per-site analytics counted since the worker's last report (never waited for). */
  | { hurdle: 'analytics'; deltas: AnalyticsDelta[]; networks?: PrefixDelta[] }
  /** This worker reads config segment `name` now. */
  | { hurdle: 'config-segment-switched'; name: string }
  /** The worker could not start (bad port, segment missing…): the reason, no secrets. */
  | { hurdle: 'fatal'; message: string };

export function isHurdleMessage(msg: unknown): msg is { hurdle: string } {
  return typeof msg === 'object' && msg !== null && typeof (msg as { hurdle?: unknown }).hurdle === 'string';
}

/** Pending request table with timeouts (one per process). */
export class IpcRequests {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  create(timeoutMs: number): { id: number; promise: Promise<unknown> } {
    const id = this.#next++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ServerError('SERVER_ERR_IPC_TIMEOUT', `the primary process did not answer within ${timeoutMs} ms`, { retryAfterS: 1 }));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
    });
    return { id, promise };
  }

  settle(reply: PrimaryReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new ServerError(reply.error.code as ServerErrorCode, reply.error.message));
  }

  rejectAll(err: Error): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(err);
    }
  }
}
