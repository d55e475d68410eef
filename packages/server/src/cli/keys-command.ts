/** `hurdle keys rotate`: a new HMAC key for pass tokens and proof-of-work challenges. */
import { usageError } from './args.js';
import type { CommandGroup, CommandSpec } from './command.js';
import { withAdminDb } from './admin-db.js';
import { EXIT } from './exit-codes.js';

const rotateCommand: CommandSpec = {
  path: ['keys', 'rotate'],
  summary: 'make a new signing key sign; the previous one still verifies, the one before it is dropped',
  description: `
Tokens and challenges already out stay good while they live. Every machine on the same DB
picks the new key up within refreshIntervalMs. Wait at least tokenTtlMs before rotating
again: a second rotation drops the key that signed what is still out. The keys themselves
are never printed.`,
  flags: [],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle keys rotate --data-dir /var/lib/hurdle',
    'hurdle keys rotate --db postgres://hurdle@db.internal/hurdle --json',
  ],
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`hurdle keys rotate takes no arguments; got '${ctx.args.join(' ')}'`);
    const { options } = await ctx.options();
    const { rotateHmacKeys } = await import('../site-service.js');
    const keys = await withAdminDb(options, (db) => rotateHmacKeys(db));
    ctx.out.result({ rotated: true, activeKeys: keys.length },
      () => `rotated: ${keys.length} key(s) active; running servers pick the new one up within refreshIntervalMs`);
    return EXIT.ok;
  },
};

export const keysGroup: CommandGroup = {
  name: 'keys',
  summary: 'rotate the token and challenge signing keys',
  commands: [rotateCommand],
};
