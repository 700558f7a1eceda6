/**
 * The `meshwork` command line. Each command lives in host/commands/<name>.ts and exports
 * `register(program)`; add a command by appending its module to COMMANDS. bin/meshwork.mjs runs this file
 * through tsx. Exit codes: 0 success, 1 the command's work failed, 2 bad usage.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { applyConfig, findConfigFile, readConfig } from './config-file.ts';
import * as bridge from './commands/bridge.ts';
import * as build from './commands/build.ts';
import * as consoleCmd from './commands/console.ts';
import * as decode from './commands/decode.ts';
import * as demo from './commands/demo.ts';
import * as encode from './commands/encode.ts';
import * as flash from './commands/flash.ts';
import * as keys from './commands/keys.ts';
import * as monitor from './commands/monitor.ts';
import * as sim from './commands/sim.ts';

const COMMANDS: readonly { register(program: Command): void }[] = [build, keys, encode, decode, sim, flash, monitor, consoleCmd, bridge, demo];

const USAGE_ERRORS = new Set([
  'commander.unknownOption', 'commander.unknownCommand', 'commander.missingArgument', 'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue', 'commander.excessArguments', 'commander.invalidArgument', 'commander.conflictingOption',
]);

export function createProgram(): Command {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('meshwork')
    .description('Meshwork host toolkit: build, flash, monitor and bridge a mesh of Espruino nodes')
    .version(pkg.version)
    .showHelpAfterError('(add --help for usage)')
    // commander's own usage errors exit 2 like the commands' (it uses 1 for them)
    .exitOverride((err) => process.exit(USAGE_ERRORS.has(err.code) ? 2 : err.exitCode));
  for (const c of COMMANDS) c.register(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = createProgram();
  // positional: a --config after a command name is that command's own (bridge has one)
  program.enablePositionalOptions().option('--config <file>', 'defaults for every command from a JSON file (default: $MESHWORK_CONFIG, else ./meshwork.json)');
  const cfg = readConfig(findConfigFile(argv));
  const problem = cfg.ok ? (cfg.file ? applyConfig(program, cfg.config, cfg.file) : null) : cfg.reason;
  if (problem) {
    process.stderr.write(`meshwork: ${problem}\n`);
    process.exit(2);
  }
  await program.parseAsync(argv as string[]);
}
