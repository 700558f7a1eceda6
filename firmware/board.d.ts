/**
 * Build-time constants. They do not exist at run time: host/build/esbuild-options.ts replaces every leaf
 * path (`BOARD.capacities.dedupSlots`, `BOARD.radio`, `BOARD.pins.led`, ...) with its JSON literal through
 * esbuild `define`, so the minifier folds board tests (`BOARD.cipher === 'native'`) and drops the other
 * branch. Use leaves only: a non-leaf such as `BOARD.pins` stays in the bundle as a reference to a global
 * that Espruino does not have, and the bundle check rejects it (rule forbidden-global).
 */
declare const BOARD: import('../boards/types.ts').BoardProfile;

/** package.json `version`, inlined by the build. */
declare const FIRMWARE_VERSION: string;
