/**
 * `hurdle config check`: resolve the options exactly as `hurdle start` would (config file,
 * environment, flags), report the first bad one with its code, or print them all with the
 * secrets redacted.
 */
import { redactOptions } from '../options.js';
import { usageError } from './args.js';
import type { CommandGroup, CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';

/** The options as `path = value` lines (one level of nesting: `admission.concurrency`). */
function flatLines(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([key, value]) => (
    typeof value === 'object' && value !== null && !Array.isArray(value) && key !== 'imageSets'
      ? Object.entries(value as Record<string, unknown>).map(([k, v]) => `${key}.${k} = ${JSON.stringify(v)}`)
      : [`${key} = ${JSON.stringify(value)}`]
  ));
}

const checkCommand: CommandSpec = {
  path: ['config', 'check'],
  summary: 'validate a config file with the environment and flags; print the resolved options',
  description: `
Reads the options like 'hurdle start' does (defaults, then the --config file or HURDLE_CONFIG,
then HURDLE_* variables, then flags) and checks them with the same rules. On success it prints
every option as the server would run with it, with adminToken and the passwords (ring, DB
URL) shown as <redacted>, and exits 0. A file that cannot be read or is not JSON
(SERVER_ERR_CONFIG_FILE), an unknown option or a bad value (SERVER_ERR_INVALID_OPTION) is
reported with its code, and the exit status is 1. Nothing is opened or written.`,
  flags: [],
  json: true,
  serverOptions: true,
  examples: [
    'hurdle config check --config /etc/hurdle/hurdle.json',
    'HURDLE_CONFIG=/etc/hurdle/hurdle.json hurdle config check --port 8443',
    'hurdle config check --config hurdle.json --json | jq .options.shm',
  ],
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`hurdle config check takes no arguments (the file goes in --config FILE); got '${ctx.args.join(' ')}'`);
    const { options, configFile } = await ctx.options();
    const redacted = redactOptions(options);
    ctx.out.result({ ok: true, configFile: configFile ?? null, options: redacted }, () => [
      `config ok${configFile ? `: ${configFile}` : ' (no config file: defaults, environment and flags)'}`,
      ...flatLines(redacted).map((l) => `  ${l}`),
    ].join('\n'));
    return EXIT.ok;
  },
};

export const configGroup: CommandGroup = {
  name: 'config',
  summary: 'check a configuration before a start',
  commands: [checkCommand],
};
