/**
 * Connection hygiene at the socket level: a cap on open sockets per client address, applied
 * as each socket is accepted, before a byte of HTTP is read. The timeouts that close slow
 * and idle sockets are the http server's own (set where the app is built); this closes the
 * sockets one address opens beyond `connections.maxPerAddress`.
 *
 * The cap is per process: under `node:cluster` every worker accepts on the shared port and
 * counts its own sockets, so one address can hold up to `workers × maxPerAddress` in all.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { WorkerMetrics } from '../metrics.js';
import type { ServerOptions } from '../options.js';
import { addressKey, isLoopback } from './client-address.js';
import { createPeerTrust } from './trusted-proxies.js';

export interface ConnectionGuard {
  /** Open sockets per counted address (tests, diagnostics). */
  open(): ReadonlyMap<string, number>;
}

/**
 * Count sockets per address on `server` and destroy those over the cap. A peer trusted as
 * a proxy carries many clients on its sockets, and so does a loopback peer while
 * `rateLimit.exemptLoopback` is on (a local proxy): neither is capped.
 */
export function installConnectionGuard(server: Server, { options, metrics }: { options: Readonly<ServerOptions>; metrics: WorkerMetrics }): ConnectionGuard {
  const cap = options.connections.maxPerAddress;
  const counts = new Map<string, number>();
  const guard: ConnectionGuard = { open: () => counts };
  if (cap <= 0) return guard;
  const trusted = createPeerTrust(options.trustProxy);
  const exemptLoopback = options.rateLimit.exemptLoopback;
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress;
    // A socket already gone has no address; node's own handler copes with it.
    if (peer === undefined || trusted(peer) || (exemptLoopback && isLoopback(peer))) return;
    const key = addressKey(peer);
    const n = (counts.get(key) ?? 0) + 1;
    if (n > cap) {
      metrics.connectionsRefused.inc();
      // No HTTP answer: nothing was asked yet, and writing costs the flood more of our time.
      socket.destroy();
      return;
    }
    counts.set(key, n);
    socket.once('close', () => {
      const left = (counts.get(key) ?? 1) - 1;
      if (left <= 0) counts.delete(key);
      else counts.set(key, left);
    });
  });
  return guard;
}
