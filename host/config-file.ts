/**
 * The config file: defaults for any command's options, so a community writes its port, board, key file and
 * broker once. Looked up in this order: `--config FILE` given before the command, $MESHWORK_CONFIG, then
 * ./meshwork.json. JSON with one object per command, option names in camelCase as in `--help`:
 *
 *   { "flash":   { "board": "esp32", "network": "net.key", "channel": 6 },
 *     "monitor": { "port": "/dev/ttyUSB0" },
 *     "bridge":  { "port": "/dev/ttyUSB0", "network": "net.key", "mqtt": "mqtts://broker.example:8883" } }
 *
 * Command-line options always win; a value from the file only replaces an option's built-in default. Unknown
 * commands or options in the file are errors (exit 2) that name the key, so a typo never passes silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';

export type ConfigResult = { ok: true; file: string | null; config: Record<string, Record<string, unknown>> } | { ok: false; reason: string };

export function findConfigFile(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  const i = argv.indexOf('--config');
  // only a --config before the command name belongs to the program (bridge has its own --config)
  const cmdAt = argv.findIndex((a, k) => k >= 2 && !a.startsWith('-') && argv[k - 1] !== '--config');
  if (i >= 2 && (cmdAt < 0 || i < cmdAt) && argv[i + 1]) return argv[i + 1];
  if (env.MESHWORK_CONFIG) return env.MESHWORK_CONFIG;
  const local = `${cwd}/meshwork.json`;
  return existsSync(local) ? local : null;
}

export function readConfig(file: string | null): ConfigResult {
  if (file === null) return { ok: true, file: null, config: {} };
  let j: unknown;
  try { j = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    return { ok: false, reason: `config file ${file}: ${(e as Error).message.replace(/^Unexpected/, 'unexpected')}` };
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return { ok: false, reason: `config file ${file}: not a JSON object of commands` };
  for (const [k, v] of Object.entries(j)) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: `config file ${file}: "${k}" must be an object of options` };
  }
  return { ok: true, file, config: j as Record<string, Record<string, unknown>> };
}

/** Put the file's values in as defaults of each command's options; an error string for unknown keys. */
export function applyConfig(program: Command, cfg: Record<string, Record<string, unknown>>, file: string): string | null {
  for (const [name, opts] of Object.entries(cfg)) {
    const cmd = program.commands.find((c) => c.name() === name);
    if (!cmd) return `config file ${file}: no command "${name}" (commands: ${program.commands.map((c) => c.name()).join(', ')})`;
    for (const [key, value] of Object.entries(opts)) {
      const opt = cmd.options.find((o) => o.attributeName() === key);
      if (!opt) return `config file ${file}: "${name}" has no option "${key}" (see meshwork ${name} --help)`;
      // commander parses strings; a number or boolean from JSON is given as the option would be typed
      const v = typeof value === 'number' ? String(value) : value;
      cmd.setOptionValueWithSource(key, opt.variadic && !Array.isArray(v) ? [v] : v, 'config');
    }
  }
  return null;
}
