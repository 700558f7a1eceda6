/**
 * `meshwork build [--board NAME ...] [--out DIR] [--json]`: bundle the firmware for each board (all by
 * default), check it and print the size table. Exit 0: every board built; 1: a board failed (esbuild error,
 * bundle-check violation or over budget), with the reasons on stderr; 2: bad usage (unknown board).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { boards, findBoard, type BoardProfile } from '../../boards/index.ts';
import { buildFirmware, type BoardBuildResult } from '../build/build-firmware.ts';
import { formatViolations } from '../build/bundle-check.ts';
import { formatSizeTable } from '../build/size-report.ts';

interface BuildCliOptions {
  board?: string[];
  out?: string;
  entry?: string;
  json?: boolean;
}

function failureText(r: BoardBuildResult): string {
  const lines = [`${r.board}: build failed`];
  for (const e of r.errors) lines.push('  ' + e);
  if (r.violations.length) lines.push(formatViolations(r.violations, `${r.board} bundle`).replace(/^/gm, '  '));
  return lines.join('\n');
}

export function register(program: Command): void {
  const cmd = program.command('build');
  cmd.description('bundle the firmware per board (esbuild), check it for Espruino and report sizes against the budgets')
    .option('-b, --board <name...>', `boards to build (default: all): ${boards.map((b) => b.name).join(', ')}`)
    .option('-o, --out <dir>', 'output directory for <board>.js and <board>.json (default: dist/firmware in the repository)')
    .option('--entry <file>', 'firmware entry point (default: firmware/main.ts in the repository)')
    .option('--json', 'print the per-board results as JSON instead of the table')
    .action(async (o: BuildCliOptions) => {
      const names = (o.board ?? []).flatMap((b) => b.split(',')).filter((b) => b);
      const unknown = names.filter((n) => !findBoard(n));
      if (unknown.length) {
        cmd.error(`meshwork build: unknown board ${unknown.map((n) => `"${n}"`).join(', ')}; valid boards: ${boards.map((b) => b.name).join(', ')}`, { exitCode: 2 });
      }
      const selected = names.map((n) => findBoard(n) as BoardProfile);
      // paths given on the command line are relative to the working directory; the defaults to the repository
      const res = await buildFirmware({
        boards: selected,
        outDir: o.out === undefined ? undefined : resolve(o.out),
        entry: o.entry === undefined ? undefined : resolve(o.entry),
      });
      if (o.json) {
        process.stdout.write(JSON.stringify(res, null, 2) + '\n');
      } else {
        process.stdout.write(formatSizeTable(res.results.map((r) => r.size)) + '\n');
        for (const r of res.results) for (const w of r.warnings) process.stderr.write(`${r.board}: warning: ${w}\n`);
      }
      const failed = res.results.filter((r) => !r.ok);
      if (failed.length) {
        if (!o.json) process.stderr.write(failed.map(failureText).join('\n') + '\n');
        process.stderr.write(`meshwork build: ${failed.length} of ${res.results.length} board${res.results.length > 1 ? 's' : ''} failed (${failed.map((r) => r.board).join(', ')}); nothing was written for them\n`);
        process.exitCode = 1;
      } else if (!o.json) {
        process.stdout.write(`wrote ${res.results.length} bundle${res.results.length > 1 ? 's' : ''} to ${res.outDir}\n`);
      }
    });
}
