/**
 * The firmware tsconfig keeps what Espruino lacks out of the type-checker's world, so Map/Set/Symbol fail
 * at `make typecheck`, before the bundle checker ever sees them.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function typecheck(source: string): string {
  const dir = mkdtempSync(join(ROOT, 'firmware/.tc-'));
  try {
    writeFileSync(join(dir, 'probe.ts'), source);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: ['probe.ts', '../*.d.ts'] }));
    const r = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
    return r.stdout + r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('firmware tsconfig', () => {
  it('rejects Map, Set and Symbol, accepts typed arrays and for-of over arrays', () => {
    const bad = typecheck('export const m = new Map<string, number>(); export const s = new Set<number>(); export const y = Symbol("x");\n');
    expect(bad).toMatch(/Cannot find name 'Map'/);
    expect(bad).toMatch(/Cannot find name 'Set'/);
    expect(bad).toMatch(/'Symbol' only refers to a type, but is being used as a value/);
    const good = typecheck('export function f(a: number[]): number { let t = 0; for (const x of a) t += x; return t + new Uint8Array(4).length; }\n');
    expect(good).toBe('');
  }, 60_000);
});
