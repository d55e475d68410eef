/** The primary of a bench's Fastify cluster: forks the workers, says `ready` once all listen, stops with its parent. */
import cluster from 'node:cluster';

export function runClusterPrimary(workers: number): void {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    worker.on('listening', () => {
      listening++;
      if (listening === workers) process.stdout.write('ready\n');
    });
  }
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary dies with its parent: never leave a cluster behind.
  process.on('disconnect', stop);
}
