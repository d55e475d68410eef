/**
 * Help texts, built from the command declarations: the global overview, a group's list of
 * subcommands, and one command's usage, flags and examples.
 */
import type { CommandGroup, CommandSpec, FlagSpec } from './command.js';

/** Where every server option is documented (the README points there too). */
export const CONFIG_DOC = 'docs/configuration.md';
export const OPERATIONS_DOC = 'docs/operations.md';

/** Flags shared by every command that reads the server options. */
export const SERVER_OPTION_FLAGS: readonly FlagSpec[] = Object.freeze([
  { name: 'config', value: 'FILE', text: 'JSON config file (env HURDLE_CONFIG)' },
  { name: 'data-dir', value: 'D', text: 'data directory of the embedded SQLite DB and the secret files (default ./data)' },
  { name: 'db', value: 'URL', text: 'config DB: postgres://user@host:port/db, or a .db file (default: SQLite in the data dir)' },
  { name: '<option>', value: 'V', text: `any other server option by name, e.g. --body-limit-bytes 65536, --admission.concurrency 128 (all: ${CONFIG_DOC})` },
]);

const JSON_FLAG: FlagSpec = { name: 'json', text: 'print one JSON document on stdout (errors too: {"ok": false, "error": {code, message}})' };
const HELP_FLAG: FlagSpec = { name: 'help', text: 'print this help' };

function flagColumn(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => `--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.min(28, Math.max(...left.map((l) => l.length)) + 2);
  return flags.map((f, i) => {
    const l = left[i] as string;
    return l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${f.text}` : `  ${l.padEnd(width)}${f.text}`;
  });
}

export function usageLine(spec: CommandSpec): string {
  const own = spec.flags.length > 0 ? ' [flags]' : '';
  return `hurdle ${spec.path.join(' ')}${spec.operands ? ` ${spec.operands}` : ''}${own}${spec.json ? ' [--json]' : ''}${spec.serverOptions ? ' [server options]' : ''}`;
}

export function commandHelp(spec: CommandSpec): string {
  const parts = [`Usage: ${usageLine(spec)}\n\n${spec.summary}`];
  if (spec.description) parts.push(spec.description.trim());
  const flags = [...spec.flags, ...(spec.json ? [JSON_FLAG] : []), HELP_FLAG];
  parts.push(`Flags:\n${flagColumn(flags).join('\n')}`);
  if (spec.serverOptions) {
    parts.push(`Server options (also from the config file and HURDLE_* environment variables; flags win):\n${flagColumn([...SERVER_OPTION_FLAGS.slice(0, -1), ...(spec.optionHelp ?? []), ...SERVER_OPTION_FLAGS.slice(-1)]).join('\n')}`);
  }
  if (spec.examples.length > 0) parts.push(`Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  parts.push(`Exit status: 0 ok, 1 failure, 2 usage error${spec.operands?.includes('SITEKEY') ? ', 3 no such site' : ''} (see ${OPERATIONS_DOC}).`);
  return `${parts.join('\n\n')}\n`;
}

export function groupHelp(group: CommandGroup): string {
  const left = group.commands.map((c) => `${c.path.slice(1).join(' ')}${c.operands ? ` ${c.operands}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = group.commands.map((c, i) => `  ${(left[i] as string).padEnd(width)}${c.summary}`);
  const parts = [`Usage: hurdle ${group.name} COMMAND [flags]\n\n${group.summary}`];
  if (group.description) parts.push(group.description.trim());
  parts.push(`Commands:\n${lines.join('\n')}`);
  parts.push(`'hurdle ${group.name} COMMAND --help' shows a command's flags and examples.`);
  return `${parts.join('\n\n')}\n`;
}

export function globalHelp(entries: readonly (CommandSpec | CommandGroup)[]): string {
  const rows = entries.map((e) => ('commands' in e
    ? [`${e.name} ${e.commands.map((c) => c.path[1]).join('|')}`, e.summary]
    : [e.path.join(' '), e.summary]) as [string, string]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `hurdle — self-hosted CAPTCHA service

Usage: hurdle COMMAND [flags]

Commands:
${rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n')}

  hurdle COMMAND --help    a command's own flags and examples (also: hurdle help COMMAND)
  hurdle --version         print the version

Server options come from a JSON config file (--config FILE), HURDLE_* environment variables
and --<option> flags, later ones winning; every option, its environment variable and default:
${CONFIG_DOC}. Commands, exit codes and --json output: ${OPERATIONS_DOC}.

Exit status: 0 ok, 1 failure (or a failed doctor check), 2 usage error, 3 no such site.
`;
}
