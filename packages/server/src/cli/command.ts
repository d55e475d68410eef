/**
 * What a subcommand declares: its words, its help (usage, flags, examples) and how it runs.
 * The dispatcher, the help printer and the flag check all read these declarations, so a
 * command's `--help` lists exactly the flags it accepts.
 */
import type { ServerOptions } from '../options.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** One flag a command takes itself (not a server option). */
export interface FlagSpec {
  /** Name without `--`, kebab case. */
  name: string;
  /** Placeholder of its value (`NAME`); none for a switch. */
  value?: string;
  text: string;
}

export interface CommandContext {
  /** Positionals after the command's words. */
  args: string[];
  flags: ReadonlyMap<string, string | true>;
  out: Output;
  /** The server options from `--config`, `HURDLE_*` and the flags that are not the command's own. */
  options(): Promise<ServerOptionsLoaded>;
}

export interface ServerOptionsLoaded {
  options: Readonly<ServerOptions>;
  /** The config file read, if any (`--config` or `HURDLE_CONFIG`). */
  configFile: string | undefined;
}

export interface CommandSpec {
  /** Words after `hurdle`: `['site', 'create']`. */
  path: readonly string[];
  /** Positionals in the usage line: `SITEKEY`. */
  operands?: string;
  summary: string;
  /** Paragraphs shown under the usage line of the command's own help. */
  description?: string;
  flags: readonly FlagSpec[];
  /** Accepts `--json`. */
  json?: boolean;
  /** Reads the server options (`--config`, `--data-dir`, `--db`, any `--<option>`). */
  serverOptions?: boolean;
  /** Server options worth naming in this command's help, besides the generic ones. */
  optionHelp?: readonly FlagSpec[];
  examples: readonly string[];
  /** Keeps running after `run` resolves (a server, an agent): no exit is forced. */
  longRunning?: boolean;
  run(ctx: CommandContext): Promise<ExitCode>;
}

/** A word that groups subcommands (`site`, `keys`, `config`). */
export interface CommandGroup {
  name: string;
  summary: string;
  description?: string;
  commands: readonly CommandSpec[];
}
