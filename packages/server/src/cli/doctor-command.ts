/**
 * `hurdle doctor`: run every check against the options a start would use and print one
 * verdict per check. Exit status 0 when none failed (warnings allowed), 1 when one did.
 */
import { usageError } from './args.js';
import type { CommandSpec } from './command.js';
import { checkClock, checkDatabase, checkPermissions, checkRing, checkShm } from './doctor-checks.js';
import type { CheckResult } from './doctor-checks.js';
import { EXIT } from './exit-codes.js';

function report(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status.padEnd(5)} ${r.name.padEnd(12)} ${r.message}`);
    for (const d of r.details) lines.push(`${' '.repeat(19)}${d}`);
  }
  const count = (s: string): number => results.filter((r) => r.status === s).length;
  lines.push('', `${count('fail')} failed, ${count('warn')} warning(s), ${count('ok')} ok, ${count('skip')} skipped`);
  return lines.join('\n');
}

export const doctorCommand: CommandSpec = {
  path: ['doctor'],
  summary: 'check this machine and the configuration a start would use',
  description: `
Checks, each ok, warn, fail or skip:
  shm          free room in /dev/shm for the segments (shm.configBytes, plus shm.stateBytes
               without a ring)
  permissions  the data dir, the SQLite DB, the admin-token and demo-secret files, a TLS key,
               and a config file that holds a secret: no access for group/others (a secret
               file fails, the data dir warns)
  database     the config DB opens and answers (an SQLite file not made yet warns)
  clock        this clock against the PostgreSQL server's (warn from 1 s, fail from 30 s);
               skipped for SQLite
  ring         with --ring: ZooKeeper answers and Redis nodes are registered under ROOT
               (none fails, fewer than ringOptions.replicas warns)
It changes nothing: no DB, table, segment or secret file is created.`,
  flags: [],
  json: true,
  serverOptions: true,
  optionHelp: [{ name: 'ring', value: 'zk://H:P/ROOT', text: 'also check the ring: ZooKeeper answers and lists Redis nodes' }],
  examples: [
    'hurdle doctor --config /etc/hurdle/hurdle.json',
    'hurdle doctor --data-dir /var/lib/hurdle --json | jq -r \'.checks[] | select(.status == "fail") | .name\'',
    'hurdle doctor --db postgres://hurdle@db.internal/hurdle --ring zk://zk1:2181/hurdle/ring',
  ],
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`hurdle doctor takes no arguments; got '${ctx.args.join(' ')}'`);
    const { options, configFile } = await ctx.options();
    const results: CheckResult[] = [checkShm(options), checkPermissions(options, configFile)];
    const { result, db } = await checkDatabase(options);
    try {
      results.push(result, await checkClock(options, db));
    } finally {
      await db?.close();
    }
    results.push(await checkRing(options));
    const failed = results.some((r) => r.status === 'fail');
    const summary = Object.fromEntries((['ok', 'warn', 'fail', 'skip'] as const).map((s) => [s, results.filter((r) => r.status === s).length]));
    ctx.out.result({ ok: !failed, checks: results, summary }, () => report(results));
    return failed ? EXIT.failure : EXIT.ok;
  },
};
