/** `hurdle start`: run the service until SIGTERM/SIGINT. */
import { EXIT } from './exit-codes.js';
import type { CommandSpec } from './command.js';

export const startCommand: CommandSpec = {
  path: ['start'],
  summary: 'run the service (a primary and one worker per core)',
  description: `
Logs go to stdout as JSON lines; the start banner goes to stderr and names the files in the
data dir that hold the admin token and the demo secret. SIGTERM or SIGINT drains in-flight
requests and exits 0.`,
  flags: [],
  serverOptions: true,
  optionHelp: [
    { name: 'port', value: 'N', text: 'TCP port (default 8080)' },
    { name: 'host', value: 'H', text: 'interface (default 127.0.0.1; 0.0.0.0 for all)' },
    { name: 'workers', value: 'N', text: 'worker processes (default: one per core)' },
    { name: 'ring', value: 'zk://H:P/ROOT', text: 'keep challenge state in the Redis ring registered under ROOT in ZooKeeper' },
    { name: 'single-process', text: 'serve from one process (no cluster); automatic without the shm addon' },
    { name: 'log-level', value: 'L', text: 'fatal|error|warn|info|debug|trace|silent (default info)' },
    { name: 'refresh-interval-ms', value: 'N', text: 'config DB poll interval (default 2000)' },
    { name: 'failure-policy', value: 'P', text: 'closed|open when the state store is unreachable (default closed)' },
    { name: 'trust-proxy', value: 'V', text: 'false|true|comma-separated addresses/CIDRs trusted for X-Forwarded-For' },
    { name: 'print-secrets', text: 'print the admin token and demo secret in the banner (local trials only)' },
    { name: 'test-hooks', text: 'serve GET /v1/test-hooks/answer/:id (tests only; never in production)' },
  ],
  longRunning: true,
  examples: [
    'hurdle start',
    'hurdle start --config /etc/hurdle/hurdle.json',
    'hurdle start --port 8080 --host 0.0.0.0 --workers 4 --data-dir /var/lib/hurdle',
    'hurdle start --db postgres://hurdle@db.internal/hurdle --ring zk://zk1:2181/hurdle/ring',
    'hurdle start --single-process --print-secrets        (a local trial)',
  ],
  async run(ctx) {
    const { options } = await ctx.options();
    const { startPrimary } = await import('../primary.js');
    const handle = await startPrimary(options);
    let signalled = false;
    const onSignal = (): void => {
      if (signalled) return;
      signalled = true;
      void handle.stop().then(() => process.exit(EXIT.ok), () => process.exit(EXIT.failure));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await handle.listening;
    } catch (err) {
      // Workers that failed to listen (port in use, bad address) leave nothing to drain.
      process.stderr.write(`hurdle: could not start: ${(err as Error).message}\n`);
      return EXIT.failure;
    }
    return EXIT.ok;
  },
};
