/**
 * The bundle to flash: dist/firmware/<board>.js, rebuilt when missing or stale. Stale = any source file listed
 * in <board>.json `inputs` changed (sha256), the bundle file itself was edited, or the package version moved.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardProfile } from '../../boards/index.ts';
import { buildFirmware, REPO_ROOT, type BundleMetadata } from '../build/build-firmware.ts';

export interface Bundle { code: string; version: string; file: string; rebuilt: boolean }

const sha256 = (d: string | Buffer): string => createHash('sha256').update(d).digest('hex');

export function staleReason(board: BoardProfile, root = REPO_ROOT): string | null {
  const js = join(root, 'dist/firmware', board.name + '.js');
  const metaFile = join(root, 'dist/firmware', board.name + '.json');
  if (!existsSync(js) || !existsSync(metaFile)) return 'not built yet';
  let meta: BundleMetadata;
  try { meta = JSON.parse(readFileSync(metaFile, 'utf8')); } catch { return 'unreadable metadata'; }
  if (sha256(readFileSync(js)) !== meta.sha256) return `${board.name}.js was changed after the build`;
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (meta.version !== version) return `version ${meta.version} → ${version}`;
  for (const [path, digest] of Object.entries(meta.inputs ?? {})) {
    const f = join(root, path);
    if (!existsSync(f)) return `${path} is gone`;
    if (sha256(readFileSync(f)) !== digest) return `${path} changed`;
  }
  return null;
}

/** the current bundle for `board`, building it first when stale; throws with the build errors */
export async function ensureBundle(board: BoardProfile, log: (l: string) => void = () => {}): Promise<Bundle> {
  const why = staleReason(board);
  let rebuilt = false;
  if (why) {
    log(`building the ${board.name} bundle (${why})`);
    const r = await buildFirmware({ boards: [board] });
    const res = r.results[0];
    if (!res.ok) throw new Error(`the ${board.name} build failed:\n  ${[...res.errors, ...res.violations.map((v) => JSON.stringify(v))].join('\n  ')}\n(run \`meshwork build --board ${board.name}\` for details)`);
    rebuilt = true;
  }
  const file = join(REPO_ROOT, 'dist/firmware', board.name + '.js');
  const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/firmware', board.name + '.json'), 'utf8')) as BundleMetadata;
  return { code: readFileSync(file, 'latin1'), version: meta.version, file, rebuilt };
}
