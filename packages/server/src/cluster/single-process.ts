/** Serving from the primary's own process: no cluster, no shared memory (option or no addon). */
import type { Logger } from 'pino';
import { banner } from '../bootstrap.js';
import type { Bootstrapped } from '../bootstrap.js';
import { listenUrl } from '../machine-stats.js';
import type { ServerOptions } from '../options.js';
import type { PrimaryHandle } from './primary-handle.js';
import { createService } from '../service.js';
import { openRingStore } from '../state/state-store.js';
import type { StateLease } from '../state-lease.js';

/**
 * Serve from this process alone: the in-process service on the configured port. With the
 * in-process store (no `ring`) the caller holds the state lease; it is released before the DB closes.
 */
export async function startSingleProcess(opts: Readonly<ServerOptions>, logger: Logger, boot: Bootstrapped, lease?: StateLease): Promise<PrimaryHandle> {
  let ring: Awaited<ReturnType<typeof openRingStore>> | undefined;
  try {
    ring = opts.ring === '' ? undefined : await openRingStore(opts.ring, opts.ringOptions);
  } catch (err) {
    await lease?.release();
    await boot.db.close();
    throw err;
  }
  // The primary's start-up (DB and this start's demo secret) is handed over, not redone.
  const svc = await createService({
    options: opts, logger, boot,
    ...(ring ? { store: ring.store, stateStore: 'ring' as const, storeHealthy: () => ring.healthy() } : {}),
    ...(lease ? { beforeDbClose: () => lease.release() } : {}),
  });
  try {
    await svc.app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await svc.close();
    await ring?.close();
    throw err;
  }
  const address = svc.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const url = listenUrl(opts, port);
  logger.info({ event: 'listening', port, workers: 0, db: svc.db.description, store: ring ? 'ring' : 'memory' }, `Hurdle listening on ${url} (single process)`);
  process.stderr.write(banner(boot, url));
  let stopping: Promise<void> | undefined;
  return {
    listening: Promise.resolve(port),
    stop: () => {
      stopping ??= (async () => {
        await svc.close();
        await ring?.close();
      })();
      return stopping;
    },
  };
}
