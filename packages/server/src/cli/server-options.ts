/**
 * The server options as a command sees them: the config file (`--config` or HURDLE_CONFIG),
 * the environment and every flag that is not the command's own, resolved by the same code
 * as `hurdle start` (options.ts), so that `config check` and `doctor` judge exactly what a
 * start would use.
 */
import { OPTION_PATHS } from '../options.js';
import { optionPathOf, usageError } from './args.js';
import type { ServerOptionsLoaded } from './command.js';

/**
 * Flags -> option paths and string values. A flag that is neither the command's own nor a
 * server option is a usage error, named with the command it was given to.
 */
export function serverOptionFlags(flags: ReadonlyMap<string, string | true>, own: ReadonlySet<string>, command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of flags) {
    if (own.has(name) || name === 'config') continue;
    const path = optionPathOf(name);
    if (!OPTION_PATHS.includes(path)) {
      throw usageError(`unknown option '${path}' (flag --${name}) for '${command}'; see '${command} --help' and the option list in docs/configuration.md`);
    }
    out[path] = value === true ? 'true' : value;
  }
  return out;
}

export async function loadServerOptions(flags: ReadonlyMap<string, string | true>, own: ReadonlySet<string>, command: string): Promise<ServerOptionsLoaded> {
  const optionFlags = serverOptionFlags(flags, own, command);
  const { readConfigFile, resolveOptions } = await import('../options.js');
  const flag = flags.get('config');
  if (flag === true) throw usageError(`${command}: --config needs a FILE`);
  const configFile = flag ?? (process.env.HURDLE_CONFIG || undefined);
  const options = resolveOptions({
    ...(configFile ? { file: readConfigFile(configFile) } : {}),
    env: process.env,
    flags: optionFlags,
  });
  return { options, configFile };
}
