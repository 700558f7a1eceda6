/**
 * `meshwork keys new | rotate | show`: make and manage network key files (mode 0600). Key bytes are
 * never printed: only epochs and fingerprints.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { fingerprint, newKeyFile, readKeyFile, rotate, writeKeyFile, type KeyFile } from '../keyfile.ts';

function describe(path: string, f: KeyFile): string {
  const rows = f.epochs.map((e) => `  epoch ${String(e.epoch).padStart(3)}  fingerprint ${fingerprint(e.key)}  created ${e.created}${e.epoch === f.current ? '  (current)' : ''}`);
  return [`${path}: mesh "${f.mesh}"`, ...rows].join('\n');
}

function fail(message: string, code = 1): never {
  process.stderr.write(`meshwork keys: ${message}\n`);
  process.exit(code);
}

export function register(program: Command): void {
  const keys = program.command('keys').description('make and manage network key files (AES-128, by epoch)');
  keys.command('new')
    .description('write a new network key file (mode 0600) with one fresh random key')
    .option('-o, --out <file>', 'where to write it', 'network.key')
    .option('--mesh <name>', 'a name for the mesh (shown by tools; not secret)', 'meshwork')
    .option('--epoch <n>', 'the first key epoch (0..255)', '1')
    .option('--force', 'overwrite an existing file (the old key is lost)')
    .action((o: { out: string; mesh: string; epoch: string; force?: boolean }) => {
      const epoch = Number(o.epoch);
      if (!Number.isInteger(epoch) || epoch < 0 || epoch > 255) fail('--epoch must be an integer 0..255', 2);
      if (existsSync(o.out) && !o.force) fail(`${o.out} exists: pass --force to replace it (its key will be lost) or choose --out`, 2);
      const f = newKeyFile(o.mesh, epoch);
      writeKeyFile(o.out, f);
      process.stdout.write(`${describe(o.out, f)}\nKeep this file secret: anyone with it can join and read the mesh.\n`);
    });
  keys.command('rotate')
    .description('add the next epoch with a fresh key (keeps the previous one for the rollover)')
    .option('-f, --file <file>', 'the key file', 'network.key')
    .action((o: { file: string }) => {
      const r = readKeyFile(o.file);
      if (!r.ok) fail(r.reason, 2);
      const n = rotate(r.value);
      if (!n.ok) fail(n.reason);
      writeKeyFile(o.file, n.value);
      process.stdout.write(`${describe(o.file, n.value)}\nRe-provision every node (meshwork flash) before dropping the old epoch.\n`);
    });
  keys.command('show')
    .description('list the epochs and key fingerprints of a key file (never the keys)')
    .option('-f, --file <file>', 'the key file', 'network.key')
    .option('--json', 'one JSON object')
    .action((o: { file: string; json?: boolean }) => {
      const r = readKeyFile(o.file);
      if (!r.ok) fail(r.reason, 2);
      if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
      if (o.json) {
        process.stdout.write(JSON.stringify({ mesh: r.value.mesh, current: r.value.current, epochs: r.value.epochs.map((e) => ({ epoch: e.epoch, fingerprint: fingerprint(e.key), created: e.created })) }) + '\n');
      } else process.stdout.write(describe(o.file, r.value) + '\n');
    });
}
