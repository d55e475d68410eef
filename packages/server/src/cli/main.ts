/**
 * The `hurdle` command line: finds the command named by the first words, answers `--help`
 * at every level from the declarations, checks the flags, runs the command and maps what
 * it threw to an exit status (exit-codes.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs, usageError } from './args.js';
import type { ParsedArgs } from './args.js';
import type { CommandGroup, CommandSpec } from './command.js';
import { configGroup } from './config-command.js';
import { doctorCommand } from './doctor-command.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { commandHelp, globalHelp, groupHelp } from './help.js';
import { keysGroup } from './keys-command.js';
import { createOutput } from './output.js';
import type { Streams } from './output.js';
import { ringAgentCommand } from './ring-agent-command.js';
import { loadServerOptions } from './server-options.js';
import { siteGroup } from './site-command.js';
import { startCommand } from './start-command.js';

/** Every command, in the order the global help lists them. */
export const COMMANDS: readonly (CommandSpec | CommandGroup)[] = Object.freeze([
  startCommand, siteGroup, keysGroup, configGroup, doctorCommand, ringAgentCommand,
]);

export interface CliOutcome {
  code: ExitCode;
  /** The command keeps the process alive on purpose (a server, an agent). */
  longRunning: boolean;
  /** A server or agent that failed to start: what it started (workers, sockets) must not outlive it. */
  exitNow: boolean;
}

function version(): string {
  try {
    // dist/src/cli/main.js -> packages/server/package.json
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const isGroup = (e: CommandSpec | CommandGroup): e is CommandGroup => 'commands' in e;
const nameOf = (e: CommandSpec | CommandGroup): string => (isGroup(e) ? e.name : e.path.join(' '));
const switchOn = (args: ParsedArgs, name: string): boolean => {
  const v = args.flags.get(name);
  return v !== undefined && v !== 'false';
};

export async function runCli(argv: readonly string[], streams: Streams = process): Promise<CliOutcome> {
  const done = (code: ExitCode): CliOutcome => ({ code, longRunning: false, exitNow: false });
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    return done(createOutput(argv.includes('--json'), streams).error(err));
  }
  const out = createOutput(switchOn(args, 'json'), streams);
  let spec: CommandSpec | undefined;
  try {
    let words = args.positional;
    let help = switchOn(args, 'help');
    if (words[0] === 'help') {
      words = words.slice(1);
      help = true;
    }
    if (words.length === 0) {
      if (args.flags.has('version') && !help) {
        streams.stdout.write(`${version()}\n`);
        return done(EXIT.ok);
      }
      streams.stdout.write(globalHelp(COMMANDS));
      return done(EXIT.ok);
    }
    const entry = COMMANDS.find((e) => nameOf(e) === words[0]);
    if (entry === undefined) throw usageError(`unknown command '${words[0]}'; expected one of ${COMMANDS.map(nameOf).join(', ')} (see hurdle --help)`);
    let rest: string[];
    if (isGroup(entry)) {
      const sub = words[1];
      if (sub === undefined) {
        if (help) {
          streams.stdout.write(groupHelp(entry));
          return done(EXIT.ok);
        }
        streams.stderr.write(groupHelp(entry));
        throw usageError(`'hurdle ${entry.name}' needs a command: ${entry.commands.map((c) => c.path[1]).join(', ')}`);
      }
      const found = entry.commands.find((c) => c.path[1] === sub);
      if (found === undefined) {
        throw usageError(`unknown '${entry.name}' command '${sub}'; expected ${entry.commands.map((c) => c.path[1]).join(', ')} (see 'hurdle ${entry.name} --help')`);
      }
      spec = found;
      rest = words.slice(2);
    } else {
      spec = entry;
      rest = words.slice(1);
    }
    if (help) {
      streams.stdout.write(commandHelp(spec));
      return done(EXIT.ok);
    }
    const command = `hurdle ${spec.path.join(' ')}`;
    const own = new Set([...spec.flags.map((f) => f.name), 'help', ...(spec.json ? ['json'] : [])]);
    if (!spec.serverOptions) {
      for (const name of args.flags.keys()) {
        if (!own.has(name)) throw usageError(`unknown flag --${name} for '${command}' (see '${command} --help')`);
      }
    } else if (args.flags.has('json') && !spec.json) {
      throw usageError(`'${command}' has no --json output`);
    }
    const code = await spec.run({
      args: rest,
      flags: args.flags,
      out,
      options: () => loadServerOptions(args.flags, own, command),
    });
    return { code, longRunning: spec.longRunning === true && code === EXIT.ok, exitNow: spec.longRunning === true && code !== EXIT.ok };
  } catch (err) {
    return { ...done(out.error(err)), exitNow: spec?.longRunning === true };
  }
}
