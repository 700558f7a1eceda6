/**
 * esbuild options for a firmware bundle that Espruino runs as is. The settings are the ones measured end to
 * end in /work/shared/ESPRUINO.md ("esbuild settings that worked"); change them only with a new measurement.
 *
 * - `supported`: what esbuild can lower is lowered (?. ||= ** {...o} class fields, #private);
 *   what it cannot lower (default/rest params, spread, destructuring, generators, async) becomes a build
 *   error instead of a SyntaxError on the board. What no setting can guard (computed keys, hoisting,
 *   loop-let closures, self-named classes, missing builtins) is caught by ./bundle-check.ts.
 * - Board constants: every leaf of the profile is an esbuild `define`, so `BOARD.capacities.dedupSlots`
 *   becomes `96` and `BOARD.cipher === 'native'` folds away with the branch it guards (firmware/board.d.ts).
 * - Built-in modules: Espruino resolves `require("crypto")` itself. esbuild, when bundling to any format but
 *   CommonJS, rewrites every `require` to its `__require` shim (built on `typeof require` and Proxy), or
 *   tries to bundle the module. Defining `require` as a placeholder global stops both (define runs before
 *   esbuild looks for require calls); restoreRequire() then renames the placeholder back, at the positions
 *   acorn finds, in the finished text.
 */
import type { BuildOptions } from 'esbuild';
import { parse } from 'acorn';
import { simple } from 'acorn-walk';
import type { BoardProfile } from '../../boards/types.ts';

/** Espruino built-in modules the firmware may `require` (ESPRUINO.md; `espnow` is the binding contract). */
export const ESPRUINO_MODULES: readonly string[] = [
  'crypto', 'Storage', 'Flash', 'heatshrink', 'Wifi', 'dgram', 'net', 'http', 'tls', 'fs', 'ESP32', 'ESPNOW',
];

/** A global no firmware source uses: `require` is defined to it and renamed back after the build. */
export const REQUIRE_PLACEHOLDER = '__meshwork_espruino_require__';

/** esbuild's `supported` overrides (ESPRUINO.md): false = "the engine lacks it". */
export const ESPRUINO_SUPPORTED: Readonly<Record<string, boolean>> = {
  // lowered by esbuild
  'optional-chain': false,
  'logical-assignment': false,
  'exponent-operator': false,
  'object-rest-spread': false,
  'class-field': false,
  'class-static-field': false,
  'class-private-field': false,
  'class-private-method': false,
  'class-private-accessor': false,
  'class-private-static-field': false,
  'class-private-static-method': false,
  'class-private-static-accessor': false,
  'class-private-brand-check': false,
  'class-static-blocks': false,
  // not lowerable: build errors
  'destructuring': false,
  'default-argument': false,
  'rest-argument': false,
  'array-spread': false,
  'generator': false,
  'async-await': false,
  'async-generator': false,
  'for-await': false,
  // regex literals that use these are turned into `new RegExp("…")` calls, which bundle-check inspects
  'regexp-sticky-and-unicode-flags': false,
  'regexp-named-capture-groups': false,
  'regexp-lookbehind-assertions': false,
};

/** The options every firmware build shares (no entry, no defines). */
export const ESPRUINO_BASE_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  target: 'es2015',
  // pinned: esbuild would otherwise read the nearest tsconfig.json
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  minify: true,
  charset: 'ascii',
  legalComments: 'none',
  supported: ESPRUINO_SUPPORTED,
};

/**
 * One define per leaf of the profile: 'BOARD.capacities.dedupSlots' → '96', 'BOARD.pins.led' → 'null',
 * 'BOARD.radio' → '"wifi-udp"'. Non-leaf paths are not defined on purpose (they would be inlined as a new
 * object at every use); a leftover `BOARD` in the bundle fails the check.
 */
export function boardDefines(board: BoardProfile, prefix = 'BOARD'): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path + '.' + k);
    } else {
      out[path] = JSON.stringify(value);
    }
  };
  walk(board, prefix);
  return out;
}

export interface FirmwareBuildInput {
  entry: string;
  board: BoardProfile;
  /** package.json version, inlined as FIRMWARE_VERSION */
  version: string;
  /** directory esbuild resolves from (the repo root) */
  absWorkingDir?: string;
}

/** The complete esbuild options for one board: write false, metafile on (the build records its inputs). */
export function espruinoBuildOptions(input: FirmwareBuildInput): BuildOptions {
  return {
    ...ESPRUINO_BASE_OPTIONS,
    entryPoints: [input.entry],
    absWorkingDir: input.absWorkingDir,
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: {
      ...boardDefines(input.board),
      FIRMWARE_VERSION: JSON.stringify(input.version),
      require: REQUIRE_PLACEHOLDER,
    },
  };
}

/**
 * Renames the placeholder back to `require` in the finished bundle. Only identifiers are touched (acorn
 * positions), never text inside strings. A bundle that does not parse is returned unchanged: the bundle
 * check reports the parse error.
 */
export function restoreRequire(code: string): string {
  if (!code.includes(REQUIRE_PLACEHOLDER)) return code;
  let ast;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch {
    return code;
  }
  const starts: number[] = [];
  simple(ast, {
    Identifier(node) {
      if (node.name === REQUIRE_PLACEHOLDER) starts.push(node.start);
    },
  });
  starts.sort((a, b) => a - b);
  let out = '';
  let last = 0;
  for (const s of starts) {
    out += code.slice(last, s) + 'require';
    last = s + REQUIRE_PLACEHOLDER.length;
  }
  return out + code.slice(last);
}
