/**
 * Globals the bundle may not reach (rule forbidden-global) and `require` calls Espruino cannot resolve
 * (rule require-unknown). Only references that resolve to no declaration in the bundle count: a minified
 * local that happens to be named like a global, `obj.Map`, or the string "Map" is not flagged.
 *
 * The lists are what the Espruino 2v29 Linux build (ESP32 layout) reports as undefined, probed with
 * `typeof` (ESPRUINO.md, plus obviously absent ES2015+ globals). `typeof X` is allowed (feature tests are
 * safe: it yields "undefined"). Object.getOwnPropertySymbols and Object.prototype.propertyIsEnumerable are
 * missing too but allowed: esbuild's object-spread helper reads them only under a
 * `if (Object.getOwnPropertySymbols)` guard, which is false on Espruino.
 * Not checkable here: instance methods Espruino lacks (`u8.slice()` returns an Array, `[].at`, `''.trimStart`...):
 * the receiver's type is unknown in the bundle; firmware/tsconfig.json and review cover those.
 */
import { simple } from 'acorn-walk';
import type { Node } from 'acorn';
import type { CheckContext } from './_check-types.ts';
import { ESPRUINO_MODULES } from './esbuild-options.ts';

type AnyNode = Node & Record<string, any>;

export const FORBIDDEN_GLOBALS: readonly string[] = [
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'BigInt', 'BigInt64Array',
  'BigUint64Array', 'TextEncoder', 'TextDecoder', 'Proxy', 'Reflect', 'Intl', 'SharedArrayBuffer', 'Atomics',
];

const TYPED_ARRAYS = ['Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'Uint8ClampedArray'];

/** Static members measured undefined. */
export const FORBIDDEN_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  Array: ['from', 'of'],
  Math: ['trunc', 'imul', 'clz32', 'log2', 'log10', 'hypot', 'cbrt', 'fround', 'expm1', 'log1p', 'sinh', 'cosh',
    'tanh', 'asinh', 'acosh', 'atanh'],
  Object: ['freeze', 'seal', 'isFrozen', 'isSealed', 'preventExtensions', 'isExtensible', 'is', 'hasOwn', 'groupBy'],
  Number: ['isSafeInteger', 'isInteger', 'isFinite', 'isNaN', 'parseInt', 'parseFloat', 'EPSILON',
    'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER'],
  Promise: ['race', 'allSettled', 'any', 'withResolvers'],
  String: ['raw', 'fromCodePoint'],
  ArrayBuffer: ['isView'],
  ...Object.fromEntries(TYPED_ARRAYS.map((t) => [t, ['from', 'of']])),
};

/** `X.prototype.y` is undefined for every y on these (methods live on instances only). */
const PROTOTYPE_LESS = new Set(['Array', 'String', 'Number', 'Boolean', 'Function', 'Promise', 'ArrayBuffer',
  'DataView', 'RegExp', 'Date', 'Error', ...TYPED_ARRAYS]);
/** Object.prototype members that exist (hasOwnProperty, toString, valueOf) or are only read under a guard. */
const OBJECT_PROTOTYPE_OK = new Set(['hasOwnProperty', 'toString', 'valueOf', 'constructor', 'propertyIsEnumerable']);

/** Globals the build must have replaced: a leftover means a define did not match. */
const BUILD_CONSTANTS = new Set(['BOARD', 'FIRMWARE_VERSION']);

function propName(m: AnyNode): string | null {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  if (m.computed && m.property.type === 'Literal' && typeof m.property.value === 'string') return m.property.value;
  return null;
}

export function checkGlobals(ctx: CheckContext): void {
  const { refOf, parentOf } = ctx.scopes;
  const globalName = (n: AnyNode): string | null => {
    if (n.type !== 'Identifier') return null;
    const ref = refOf.get(n);
    return ref && ref.decl === null ? n.name : null;
  };

  for (const ref of ctx.scopes.refs) {
    if (ref.decl) continue;
    const id = ref.id;
    const parent = parentOf.get(id);
    if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') continue;
    if (FORBIDDEN_GLOBALS.includes(id.name)) {
      ctx.report('forbidden-global', id, `\`${id.name}\` does not exist on Espruino`);
    } else if (BUILD_CONSTANTS.has(id.name)) {
      const path = parent && parent.type === 'MemberExpression' ? ctx.code.slice(id.start, parent.end) : id.name;
      ctx.report('forbidden-global', id, `\`${path}\` was not inlined: the build defines only leaves of the board profile and FIRMWARE_VERSION (use a leaf such as BOARD.capacities.dedupSlots)`);
    } else if (id.name === 'require') {
      checkRequire(ctx, id as AnyNode, parent);
    }
  }

  simple(ctx.ast, {
    MemberExpression(node) {
      const m = node as AnyNode;
      const name = propName(m);
      if (name === null) return;
      const obj = globalName(m.object);
      if (obj && FORBIDDEN_MEMBERS[obj]?.includes(name)) {
        ctx.report('forbidden-global', m, `\`${obj}.${name}\` does not exist on Espruino`);
        return;
      }
      // X.prototype.y
      if (m.object.type === 'MemberExpression' && propName(m.object) === 'prototype') {
        const ctor = globalName(m.object.object);
        if (ctor && (PROTOTYPE_LESS.has(ctor) || (ctor === 'Object' && !OBJECT_PROTOTYPE_OK.has(name)))) {
          ctx.report('forbidden-global', m, `\`${ctor}.prototype.${name}\` is undefined on Espruino: call the method on an instance`);
        }
      }
    },
  });
}

function checkRequire(ctx: CheckContext, id: AnyNode, parent: AnyNode | undefined): void {
  if (!parent || parent.type !== 'CallExpression' || parent.callee !== id) {
    ctx.report('require-unknown', id, '`require` used other than as require("module"): Espruino resolves only direct calls with a module name (an esbuild __require shim would look like this)');
    return;
  }
  const arg = parent.arguments[0] as AnyNode | undefined;
  if (!arg || arg.type !== 'Literal' || typeof arg.value !== 'string') {
    ctx.report('require-unknown', parent, 'require() with a computed module name: Espruino modules must be named literally');
  } else if (!ESPRUINO_MODULES.includes(arg.value)) {
    ctx.report('require-unknown', parent, `require("${arg.value}") is not an Espruino built-in module (allowed: ${ESPRUINO_MODULES.join(', ')}); bundle JS code instead`);
  }
}
