/**
 * The command line parser shared by every subcommand: positionals and `--name value` /
 * `--name=value` flags. It knows nothing of the commands beyond which flags never take a
 * value, so that `hurdle site list --json SITEKEY` does not read SITEKEY as the value of
 * `--json`.
 */
import { ServerError } from '../errors.js';

/** Flags that are switches: present means true, and they never consume the next word. */
const SWITCHES = new Set(['help', 'json', 'version', 'tls']);

export interface ParsedArgs {
  positional: string[];
  /** Flag name (as typed, without `--`) -> its value, or `true` for a bare flag. */
  flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
    } else if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      let value: string | true;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (!SWITCHES.has(name) && i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) value = argv[++i] as string;
      else value = true;
      if (flags.has(name)) throw usageError(`flag --${name} is given twice`);
      flags.set(name, value);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      throw usageError(`unknown flag '${arg}' (flags are spelled --name)`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

/** A coded usage error (exit status 2). */
export function usageError(message: string): ServerError {
  return new ServerError('SERVER_ERR_USAGE', message);
}

/** kebab-case flag -> camelCase option path: `rate-limit.ip-per-minute` -> `rateLimit.ipPerMinute`. */
export function optionPathOf(flag: string): string {
  return flag.split('.').map((part) => part.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())).join('.');
}

/** The value of a flag that needs one; a bare `--name` is a usage error. */
export function flagValue(flags: ReadonlyMap<string, string | true>, name: string, command: string): string | undefined {
  const value = flags.get(name);
  if (value === true) throw usageError(`${command}: --${name} needs a value (see '${command} --help')`);
  return value;
}

/** A comma-separated list flag; `--hostnames ''` gives the empty list. */
export function listValue(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * An integer flag. A value that is not one is passed on as NaN, so that the validation the
 * value goes through anyway (the site rules, shared with the admin API) names the field.
 */
export function intValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}
