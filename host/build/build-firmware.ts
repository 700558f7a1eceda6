/**
 * Builds the firmware for each board: esbuild (./esbuild-options.ts) → the finished bundle text → the bundle
 * check (./bundle-check.ts) → the size budget (./size-report.ts). A board passes only when esbuild reports no
 * error, the check finds no violation and the bundle fits its budget; only then are
 *   <outDir>/<board>.js    the bundle Espruino runs
 *   <outDir>/<board>.json  metadata for later tools (flash, monitor): board, version, bytes, sha256 of the
 *                          bundle, and the sha256 of every source file that went into it, so a tool can tell a
 *                          stale bundle from a current one without rebuilding
 * written. A failing board has both files removed, so a stale bundle is never mistaken for a current one.
 */
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boards as allBoards, findBoard, type BoardProfile } from '../../boards/index.ts';
import { espruinoBuildOptions, restoreRequire } from './esbuild-options.ts';
import { checkBundle, type Violation } from './bundle-check.ts';
import { sizeRow, type SizeRow } from './size-report.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuildFirmwareOptions {
  /** profiles or `--board` names; all boards when absent */
  boards?: readonly (BoardProfile | string)[];
  /** relative to root; default dist/firmware */
  outDir?: string;
  /** relative to root; default firmware/main.ts */
  entry?: string;
  /** the repository root (esbuild resolves from here); default this repository */
  root?: string;
  /** FIRMWARE_VERSION; default package.json version */
  version?: string;
}

export interface BoardBuildResult {
  board: string;
  ok: boolean;
  bytes: number | null;
  gzipBytes: number | null;
  budget: number;
  size: SizeRow;
  violations: Violation[];
  /** esbuild errors and the budget overrun, one line each */
  errors: string[];
  warnings: string[];
  /** the written bundle, null when the board failed */
  outFile: string | null;
  sha256: string | null;
}

export interface BuildFirmwareResult {
  ok: boolean;
  outDir: string;
  results: BoardBuildResult[];
}

export interface BundleMetadata {
  board: string;
  espruinoBoard: string;
  version: string;
  bytes: number;
  gzipBytes: number;
  budget: number;
  sha256: string;
  esbuild: string;
  /** source path (relative to the root) → sha256 of its content */
  inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function resolveBoards(list: readonly (BoardProfile | string)[] | undefined): BoardProfile[] {
  if (!list || list.length === 0) return [...allBoards];
  return list.map((b) => {
    if (typeof b !== 'string') return b;
    const found = findBoard(b);
    if (!found) throw new Error(`meshwork/build: unknown board "${b}" (valid: ${allBoards.map((x) => x.name).join(', ')})`);
    return found;
  });
}

function messageLine(m: esbuild.Message): string {
  const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
  return at + m.text;
}

async function buildBoard(board: BoardProfile, root: string, entry: string, outDir: string, version: string): Promise<BoardBuildResult> {
  const budget = board.budgets.bundleBytes;
  const base = { board: board.name, budget, outFile: null, sha256: null, violations: [] as Violation[] };
  const jsFile = join(outDir, board.name + '.js');
  const metaFile = join(outDir, board.name + '.json');
  const fail = (r: BoardBuildResult): BoardBuildResult => {
    rmSync(jsFile, { force: true });
    rmSync(metaFile, { force: true });
    return r;
  };

  let built: esbuild.BuildResult;
  try {
    built = await esbuild.build(espruinoBuildOptions({ entry, board, version, absWorkingDir: root }));
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    const errors = failure.errors ? failure.errors.map(messageLine) : [String(e)];
    const size = sizeRow(board.name, null, budget, `${errors.length} esbuild error${errors.length > 1 ? 's' : ''}`);
    return fail({ ...base, ok: false, bytes: null, gzipBytes: null, size, errors, warnings: (failure.warnings ?? []).map(messageLine) });
  }

  const code = restoreRequire(built.outputFiles![0].text);
  const violations = checkBundle(code);
  const bytes = Buffer.byteLength(code, 'utf8');
  const errors: string[] = [];
  if (bytes > budget) errors.push(`bundle is ${bytes} bytes, over the ${board.name} budget of ${budget} bytes (budgets.bundleBytes)`);
  const failure = violations.length ? `${violations.length} check violation${violations.length > 1 ? 's' : ''}` : undefined;
  const size = sizeRow(board.name, code, budget, failure); // says 'over budget' by itself
  const result: BoardBuildResult = {
    ...base, ok: !failure && errors.length === 0, bytes, gzipBytes: size.gzipBytes, size, violations, errors, warnings: built.warnings.map(messageLine),
  };
  if (!result.ok) return fail(result);

  const digest = sha256(code);
  const inputs: Record<string, string> = {};
  for (const path of Object.keys(built.metafile!.inputs).sort()) inputs[path] = sha256(readFileSync(join(root, path)));
  const meta: BundleMetadata = {
    board: board.name, espruinoBoard: board.espruinoBoard, version, bytes, gzipBytes: size.gzipBytes as number, budget,
    sha256: digest, esbuild: esbuild.version, inputs,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(jsFile, code);
  writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  return { ...result, outFile: jsFile, sha256: digest };
}

/** Builds every requested board (in parallel); `ok` is false when any board failed. */
export async function buildFirmware(opts: BuildFirmwareOptions = {}): Promise<BuildFirmwareResult> {
  const root = resolve(opts.root ?? REPO_ROOT);
  const outDir = resolve(root, opts.outDir ?? 'dist/firmware');
  const entry = opts.entry ?? 'firmware/main.ts';
  const entryAbs = isAbsolute(entry) ? entry : join(root, entry);
  const version = opts.version ?? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const boards = resolveBoards(opts.boards);
  const results = await Promise.all(boards.map((b) => buildBoard(b, root, entryAbs, outDir, version)));
  return { ok: results.every((r) => r.ok), outDir, results };
}
