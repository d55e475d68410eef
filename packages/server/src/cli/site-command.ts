/**
 * `hurdle site …`: list, show, create, update, disable sites and rotate their secrets. Every
 * write goes through the site service of the admin API (site-service.ts), so the CLI
 * accepts and refuses exactly what `PATCH /admin/api/sites/:sitekey` does.
 */
import { hostname, userInfo } from 'node:os';
import { withAuditLog } from '../audited-admin-operations.js';
import { ServerError } from '../errors.js';
import { createSiteService } from '../site-service.js';
import type { AdminOperations } from '../site-service.js';
import type { ChallengeType, SiteInput, SiteView } from '../site.js';
import { flagValue, intValue, listValue, usageError } from './args.js';
import type { CommandContext, CommandGroup, CommandSpec, FlagSpec } from './command.js';
import { withAdminDb } from './admin-db.js';
import { EXIT } from './exit-codes.js';

const FIELD_FLAGS: readonly FlagSpec[] = Object.freeze([
  { name: 'name', value: 'NAME', text: 'label, 1-200 characters' },
  { name: 'hostnames', value: 'LIST', text: "comma-separated hostnames the widget may run on; '*.example.com' matches subdomains; '' = any" },
  { name: 'types', value: 'LIST', text: "allowed challenge types, the first the default: 'slide', 'pow' or both" },
  { name: 'difficulty', value: 'N', text: 'proof-of-work difficulty, leading zero bits, 1-32 (default 17)' },
  { name: 'pow-algorithm', value: 'sha256|scrypt', text: "the proof of work's hash (default sha256; scrypt: memory-hard, difficulty in SHA-256-equivalent bits)" },
  { name: 'image-set', value: 'NAME', text: "one of the server's imageSets for slide backgrounds ('' = procedural)" },
  { name: 'rate-limit-per-second', value: 'N', text: "challenges per second for this site (0 = the server's rateLimit.sitePerSecond)" },
  { name: 'keyboard-solve', value: 'true|false', text: 'let visitors solve the slide with the arrow keys (default true; false: keyboard users need the pow type)' },
  { name: 'risk', value: 'JSON', text: 'risk engine settings, e.g. \'{"sensitivity":"high","minScore":{"login":0.5}}\' (replaces them whole; see docs/risk.md)' },
]);

const ENABLED_FLAG: FlagSpec = { name: 'enabled', value: 'true|false', text: 'serve the site (false: challenges get 403 site_disabled)' };

/** 'true'/'false' as booleans; anything else is handed on as it came, for the service to refuse by name. */
function booleanValue(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  return (raw === 'true' ? true : raw === 'false' ? false : raw) as boolean;
}

/** The site fields given as flags, unvalidated: the site service validates them. */
function siteInput(ctx: CommandContext, command: string): SiteInput {
  const f = (name: string): string | undefined => flagValue(ctx.flags, name, command);
  const input: SiteInput = {};
  const name = f('name');
  if (name !== undefined) input.name = name;
  const hostnames = listValue(f('hostnames'));
  if (hostnames) input.hostnames = hostnames;
  const types = listValue(f('types'));
  if (types) input.challengeTypes = types as ChallengeType[];
  const difficulty = intValue(f('difficulty'));
  if (difficulty !== undefined) input.difficulty = difficulty;
  const powAlgorithm = f('pow-algorithm');
  if (powAlgorithm !== undefined) input.powAlgorithm = powAlgorithm as NonNullable<SiteInput['powAlgorithm']>;
  const imageSet = f('image-set');
  if (imageSet !== undefined) input.imageSet = imageSet;
  const rate = intValue(f('rate-limit-per-second'));
  if (rate !== undefined) input.rateLimitPerSecond = rate;
  const keyboardSolve = booleanValue(f('keyboard-solve'));
  if (keyboardSolve !== undefined) input.keyboardSolve = keyboardSolve;
  const risk = f('risk');
  if (risk !== undefined) {
    try {
      input.risk = JSON.parse(risk) as unknown;
    } catch {
      throw new ServerError('SERVER_ERR_INVALID_SITE', "site field 'risk' must be a JSON object, e.g. '{\"sensitivity\":\"high\"}'");
    }
  }
  const enabled = booleanValue(f('enabled'));
  if (enabled !== undefined) input.enabled = enabled;
  return input;
}

function sitekeyOperand(ctx: CommandContext, command: string): string {
  const [sitekey, ...rest] = ctx.args;
  if (sitekey === undefined) throw usageError(`${command} needs a SITEKEY (see '${command} --help')`);
  if (rest.length > 0) throw usageError(`${command} takes one SITEKEY; got also '${rest.join(' ')}'`);
  return sitekey;
}

function noOperands(ctx: CommandContext, command: string): void {
  if (ctx.args.length > 0) throw usageError(`${command} takes no arguments; got '${ctx.args.join(' ')}'`);
}

async function withSites<T>(ctx: CommandContext, fn: (sites: AdminOperations) => Promise<T>): Promise<T> {
  const { options } = await ctx.options();
  // The command's changes go to the audit log like the admin API's: the OS account that ran
  // it is the actor, this machine the address.
  return withAdminDb(options, (db) => fn(withAuditLog(createSiteService({ db }), db, { actor: `cli:${osUser()}`, address: `local:${hostname()}` })));
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function siteText(s: SiteView): string {
  const rows: [string, string][] = [
    ['sitekey', s.sitekey],
    ['name', s.name],
    ['enabled', s.enabled ? 'yes' : 'no'],
    ['hostnames', s.hostnames.join(', ') || '(any)'],
    ['types', s.challengeTypes.join(', ')],
    ['difficulty', String(s.difficulty)],
    ['pow algorithm', s.powAlgorithm ?? 'sha256'],
    ['image set', s.imageSet || '(procedural)'],
    ['rate limit', s.rateLimitPerSecond === 0 ? "server default (rateLimit.sitePerSecond)" : `${s.rateLimitPerSecond}/s`],
    ['keyboard solve', s.keyboardSolve ? 'yes' : 'no'],
    ...(s.risk === undefined ? [] : [['risk', JSON.stringify(s.risk)] as [string, string]]),
    ['created', iso(s.createdAt)],
    ['updated', iso(s.updatedAt)],
  ];
  if (s.secretRotationEndsAt !== null) rows.push(['old secret valid until', iso(s.secretRotationEndsAt)]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n');
}

const listCommand: CommandSpec = {
  path: ['site', 'list'],
  summary: 'list the sites (never their secrets)',
  description: 'One line per site: sitekey, enabled/disabled, challenge types, difficulty, hostnames, name.',
  flags: [],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site list --data-dir /var/lib/hurdle',
    "hurdle site list --json | jq -r '.[] | select(.enabled) | .sitekey'",
  ],
  async run(ctx) {
    noOperands(ctx, 'hurdle site list');
    const all = await withSites(ctx, (sites) => sites.listSites());
    ctx.out.result(all, () => (all.length === 0 ? 'no sites' : all.map((s) => (
      `${s.sitekey}  ${s.enabled ? 'enabled ' : 'disabled'}  ${s.challengeTypes.join(',').padEnd(10)} difficulty=${s.difficulty}  hostnames=${s.hostnames.join(',') || '*'}  ${s.name}`
    )).join('\n')));
    return EXIT.ok;
  },
};

const showCommand: CommandSpec = {
  path: ['site', 'show'],
  operands: 'SITEKEY',
  summary: "print one site's settings (never its secret)",
  flags: [],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site show hk_Ff8IOGIug3c2gnKr',
    'hurdle site show hk_Ff8IOGIug3c2gnKr --json | jq .difficulty',
  ],
  async run(ctx) {
    const sitekey = sitekeyOperand(ctx, 'hurdle site show');
    const site = await withSites(ctx, (sites) => sites.getSite(sitekey));
    ctx.out.result(site, () => siteText(site));
    return EXIT.ok;
  },
};

const createCommand: CommandSpec = {
  path: ['site', 'create'],
  operands: '--name NAME',
  summary: 'create a site; prints its sitekey and secret (the secret is shown once)',
  description: `
Fields left out take their defaults (docs/configuration.md, "Sites are data, not
configuration"). The DB keeps only the SHA-256 of the secret.`,
  flags: FIELD_FLAGS.map((f) => (f.name === 'name' ? { ...f, text: `${f.text} (required)` } : f)),
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site create --name "My shop" --hostnames shop.example,www.shop.example',
    'hurdle site create --name API --types pow --difficulty 18 --db postgres://hurdle@db.internal/hurdle',
    'hurdle site create --name CI --json | jq -r .secret',
  ],
  async run(ctx) {
    noOperands(ctx, 'hurdle site create');
    const input = siteInput(ctx, 'hurdle site create');
    if (input.name === undefined) throw usageError("hurdle site create needs --name NAME (see 'hurdle site create --help')");
    const { site, secret } = await withSites(ctx, (sites) => sites.createSite(input));
    ctx.out.result({ site, secret }, () => `sitekey ${site.sitekey}\nsecret  ${secret}\n(the secret is shown once; it is stored only as a hash)`);
    return EXIT.ok;
  },
};

const updateCommand: CommandSpec = {
  path: ['site', 'update'],
  operands: 'SITEKEY',
  summary: 'change some of a site\'s settings (the rest stay as they are)',
  description: `
The same checks as the admin API (PATCH /admin/api/sites/:sitekey). A running server
applies the change within refreshIntervalMs.`,
  flags: [...FIELD_FLAGS, ENABLED_FLAG],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site update hk_Ff8IOGIug3c2gnKr --difficulty 18',
    "hurdle site update hk_Ff8IOGIug3c2gnKr --hostnames '' --types slide,pow",
    'hurdle site update hk_Ff8IOGIug3c2gnKr --keyboard-solve false',
    'hurdle site update hk_Ff8IOGIug3c2gnKr --enabled true',
  ],
  async run(ctx) {
    const sitekey = sitekeyOperand(ctx, 'hurdle site update');
    const patch = siteInput(ctx, 'hurdle site update');
    if (Object.keys(patch).length === 0) {
      throw usageError(`hurdle site update needs at least one of ${updateCommand.flags.map((f) => `--${f.name}`).join(', ')}`);
    }
    const site = await withSites(ctx, (sites) => sites.updateSite(sitekey, patch));
    ctx.out.result(site, () => siteText(site));
    return EXIT.ok;
  },
};

const disableCommand: CommandSpec = {
  path: ['site', 'disable'],
  operands: 'SITEKEY',
  summary: 'stop serving a site (its settings are kept; undo with --enabled true)',
  description: `
A disabled site's challenges get 403 site_disabled and its /siteverify calls
invalid-input-secret, on every machine within refreshIntervalMs.`,
  flags: [],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site disable hk_Ff8IOGIug3c2gnKr',
    'hurdle site update hk_Ff8IOGIug3c2gnKr --enabled true        (enable it again)',
  ],
  async run(ctx) {
    const sitekey = sitekeyOperand(ctx, 'hurdle site disable');
    const site = await withSites(ctx, (sites) => sites.disableSite(sitekey));
    ctx.out.result(site, () => `disabled ${site.sitekey} (${site.name})`);
    return EXIT.ok;
  },
};

const rotateSecretCommand: CommandSpec = {
  path: ['site', 'rotate-secret'],
  operands: 'SITEKEY',
  summary: 'give a site a new secret (shown once); the old one stays valid --grace-ms',
  description: `
Deploy the new secret to the site's back ends during the grace period. --grace-ms 0 (the
default) revokes the old secret at once: use it when a secret leaked.`,
  flags: [{ name: 'grace-ms', value: 'N', text: 'how long the old secret keeps working, ms, 0-2592000000 (default 0)' }],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle site rotate-secret hk_Ff8IOGIug3c2gnKr --grace-ms 86400000',
    'hurdle site rotate-secret hk_Ff8IOGIug3c2gnKr --json | jq -r .secret',
  ],
  async run(ctx) {
    const sitekey = sitekeyOperand(ctx, 'hurdle site rotate-secret');
    const grace = intValue(flagValue(ctx.flags, 'grace-ms', 'hurdle site rotate-secret')) ?? 0;
    const { site, secret } = await withSites(ctx, (sites) => sites.rotateSecret(sitekey, grace));
    ctx.out.result({ site, secret }, () => `sitekey ${site.sitekey}\nsecret  ${secret}${
      site.secretRotationEndsAt ? `\nold secret valid until ${iso(site.secretRotationEndsAt)}` : ''}`);
    return EXIT.ok;
  },
};

export const siteGroup: CommandGroup = {
  name: 'site',
  summary: 'manage sites in the config DB',
  description: `
Works on the config DB that 'hurdle start' uses (same --config, --data-dir, --db and
environment), also while the server runs; a running server picks changes up within
refreshIntervalMs.`,
  commands: [listCommand, showCommand, createCommand, updateCommand, disableCommand, rotateSecretCommand],
};
