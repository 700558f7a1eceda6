/**
 * The bundle check (host/build/bundle-check.ts): each forbidden construct is caught under its rule name,
 * allowed look-alikes are not, and TypeScript run through the real esbuild options either fails the build
 * (what esbuild cannot lower), comes out lowered, or comes out as something only the check catches.
 * Snippets are written as esbuild's minified output looks (one line, short names).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as esbuild from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBundle, formatViolations, RULES } from '../host/build/bundle-check.ts';
import { ESPRUINO_BASE_OPTIONS, espruinoBuildOptions, restoreRequire } from '../host/build/esbuild-options.ts';
import { boards } from '../boards/index.ts';

const rulesOf = (code: string): string[] => [...new Set(checkBundle(code).map((v) => v.rule))].sort();

describe('each forbidden construct is caught with its rule', () => {
  it.each([
    ['computed-key', 'var k="a",o={[k]:1};print(o);'],
    ['computed-key', 'var k="a";class A{[k](){return 1}}'],
    ['computed-key', 'var k="a";var o={[k](){}};'],
    ['tagged-template', 'var t=function(s){return s};print(t`x${1}`);'],
    ['label', 'a:for(var i=0;i<2;i++){for(;;){continue a}}'],
    ['self-named-class', 'var X=class _X{static make(){return new _X}};X.make();'],
    ['self-named-class', 'var t=class t{m(){return t}};'],
    ['let-closure-in-loop', 'var fs=[];for(let i=0;i<3;i++)fs.push(()=>i);'],
    ['let-closure-in-loop', 'var fs=[];for(const x of[1,2])fs.push(function(){return x});'],
    ['let-closure-in-loop', 'var fs=[];for(const k in{a:1})fs.push(()=>{return()=>k});'],
    ['let-closure-in-loop', 'var fs=[];for(let i=0;i<3;i++){if(i)fs.push(()=>i)}'],
    ['require-unknown', 'require("fs2");'],
    ['require-unknown', 'var n="crypto";require(n);'],
    ['require-unknown', 'var r=require;r("crypto");'],
    ['require-unknown', 'require("./mod.ts");'],
    ['parse-error', 'var = ;'],
    ['parse-error', 'import x from "y";'],
  ])('%s: %s', (rule, code) => {
    expect(rulesOf(code)).toEqual([rule]);
  });

  it.each([
    ['top level', 'f();function f(){}'],
    ['inside a function body', 'function o(){x();function x(){}}'],
    ['inside a block', 'if(1){g();function g(){}}'],
    ['through a call of an earlier function', 'function a(){b()}a();function b(){}'],
    ['through two calls', 'function a(){c()}function c(){b()}a();function b(){}'],
    ['through a function invoked in place', '(()=>{f()})();function f(){}'],
    ['through .call', '(function(){f()}).call(this);function f(){}'],
    ['through a var holding an arrow', 'var g=()=>f();g();function f(){}'],
    ['through new and a constructor', 'class C{constructor(){f()}}new C;function f(){}'],
    ['as a value', 'var h={g:f};function f(){}'],
    ['in a nested expression', 'var x=[1].map(f);function f(v){return v}'],
    ['as an argument of an early call', 'var m={};Object.defineProperty(m,"a",{value:f()});function f(){}'],
  ])('hoisting: %s', (_name, code) => {
    expect(rulesOf(code)).toEqual(['hoisting']);
  });

  it.each(['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'Symbol', 'BigInt', 'TextEncoder', 'TextDecoder', 'Proxy', 'Reflect'])(
    'forbidden-global: %s', (name) => {
      expect(rulesOf(`var x=${name}(1);`)).toEqual(['forbidden-global']);
      expect(rulesOf(`var x=new ${name};`)).toEqual(['forbidden-global']);
    });

  it.each([
    'Array.from([1])', 'Array.of(1)', 'Math.trunc(1.5)', 'Math.imul(2,3)', 'Math.clz32(1)', 'Object.freeze({})',
    'Number.isSafeInteger(1)', 'Promise.race([])', 'Uint8Array.from([1])', 'Uint32Array.of(1)', 'String.raw', 'Math["trunc"](1)',
    'Array.prototype.slice.call(arguments)', 'Uint8Array.prototype.set', 'Function.prototype.apply',
    'Object.prototype.isPrototypeOf', 'BOARD.pins', 'BOARD', 'FIRMWARE_VERSION',
  ])('forbidden-global: %s', (expr) => {
    expect(rulesOf(`function f(){return ${expr}}`)).toEqual(['forbidden-global']);
  });

  it.each([
    ['spread', 'var a=[...b];'],
    ['call spread', 'f(...b);'],
    ['rest param', 'function f(...a){}'],
    ['object destructuring', 'var {a}=b;'],
    ['array destructuring', 'var [a]=b;'],
    ['destructuring assignment', 'var a;[a]=b;'],
    ['default param', 'function f(a=1){}'],
    ['async', 'async function f(){}'],
    ['await', 'async function f(){await 1}'],
    ['async arrow', 'var f=async()=>1;'],
    ['generator', 'function*g(){}'],
    ['yield', 'function*g(){yield 1}'],
    ['optional chaining', 'var a={};print(a?.b);'],
    ['optional call', 'var a={};a.b?.();'],
    ['exponent', 'print(2**3);'],
    ['exponent assignment', 'var a=2;a**=2;'],
    ['logical assignment ||=', 'var a;a||=1;'],
    ['logical assignment &&=', 'var a;a&&=1;'],
    ['logical assignment ??=', 'var a;a??=1;'],
    ['private field', 'class A{#x=1}'],
    ['private method use', 'class A{#m(){}n(){this.#m()}}'],
    ['class static block', 'class A{static{}}'],
    ['for await', 'async function f(){for await(const x of y);}'],
    ['BigInt literal', 'var a=1n;'],
    ['new.target', 'function F(){return new.target}'],
    ['extends Error', 'class E extends Error{}'],
    ['regex lookbehind', 'var r=/(?<=a)b/;'],
    ['regex named group', 'var r=/(?<n>a)/;'],
    ['regex sticky flag', 'var r=/a/y;'],
    ['regex unicode flag', 'var r=/a/u;'],
    ['regex m flag', 'var r=/^a/m;'],
    ['regex lazy quantifier', 'var r=/a+?/;'],
    ['regex non-capturing group', 'var r=/(?:a)/;'],
    ['regex lookahead', 'var r=/a(?=b)/;'],
    ['regex backreference', 'var r=/(a)\\1/;'],
    ['regex counted quantifier', 'var r=/\\d{2,3}/;'],
    ['regex word boundary', 'var r=/\\bfoo/;'],
    ['regex quantified group', 'var r=/(ab)+/;'],
    ['regex through RegExp()', 'var r=new RegExp("(?<n>x)");'],
    ['regex flags through RegExp()', 'var r=RegExp("x","s");'],
  ])('unsupported-syntax: %s', (_name, code) => {
    expect(rulesOf(code)).toEqual(['unsupported-syntax']);
  });

  it('catches the __require shim esbuild emits for an external require', async () => {
    const r = await esbuild.build({
      ...ESPRUINO_BASE_OPTIONS, stdin: { contents: 'const c = require("crypto"); print(c)', loader: 'ts' },
      external: ['crypto'], write: false, logLevel: 'silent',
    });
    const code = r.outputFiles[0].text;
    expect(code).toContain('typeof require');
    expect(rulesOf(code)).toEqual(['forbidden-global', 'require-unknown']); // Proxy, require.apply
  });

  it('every rule has at least one case above', () => {
    // guards against a rule being renamed without its tests
    expect([...RULES].sort()).toEqual(['computed-key', 'forbidden-global', 'hoisting', 'label', 'let-closure-in-loop',
      'parse-error', 'require-unknown', 'self-named-class', 'tagged-template', 'unsupported-syntax']);
  });
});

describe('allowed look-alikes are not flagged', () => {
  it.each([
    ['a function called after its declaration', 'function f(){return 1}print(f());'],
    ['mutual recursion', 'function a(n){return n?b(n-1):0}function b(n){return a(n)}print(a(3));'],
    ['a later function named in a callback', 'setTimeout(()=>f(),1);function f(){}'],
    ['a later function named in a method', 'var o={m(){return f()}};function f(){}o.m();'],
    ['a closure naming a later function, called after it', 'var h=()=>f();function f(){}h();'],
    ['a function that is only defined, never called early', 'function a(){b()}function b(){}a();'],
    ['a name reused by a minifier in another scope', 'function t(){var f=1;return f}t();function f(){}'],
    ['a loop capturing a var', 'var fs=[];for(var i=0;i<3;i++)fs.push(()=>i);'],
    ['a loop closure capturing an outer const', 'const n=3;var fs=[];for(let i=0;i<n;i++){fs.push(()=>n)}'],
    ['a loop-body const captured (fresh per iteration on Espruino)', 'var fs=[];for(let i=0;i<3;i++){const k=i;fs.push(()=>k)}'],
    ['a loop head let used inside an IIFE', 'for(let i=0;i<3;i++)(()=>print(i))();'],
    ['a loop head let used without a closure', 'for(let i=0;i<3;i++)print(i);'],
    ['a property named Map', 'var o={Map:1};o.Map=2;print(o.Map,"Map");'],
    ['a local named Map', 'function f(Map){return new Map}print(f(Object));'],
    ['typeof on a missing global', 'print(typeof Symbol, typeof Map=="undefined");'],
    ['Math natives Espruino has', 'print(Math.sign(-1),Math.pow(2,3),Math.round(1.5));'],
    ['Object natives Espruino has', 'print(Object.assign({},{a:1}),Object.keys({}),Object.prototype.hasOwnProperty.call({},"a"));'],
    ['a user class prototype', 'function K(){}K.prototype.m=function(){};'],
    ['a class declaration naming itself', 'class D{m(){return D}}print(new D().m()===D);'],
    ['a named function expression calling itself', 'var F=function G(n){return n?G(n-1):0};print(F(2));'],
    ['regexes in the measured-good subset', 'print(/^[\\w-]+$/.test("a"),/\\d+\\.\\d+/g,/(a|b)c/i,/[\\b]/,/\\x41\\/\\$/,/a{/);'],
    ['Espruino modules', 'var c=require("crypto"),s=require("Storage"),w=require("Wifi"),d=require("dgram"),e=require("ESP32"),n=require("ESPNOW");'],
    ['a string "require"', 'var o={require:1};print(o.require,"require(x)");'],
    ['class fields (Espruino 2v22+)', 'class A{a=1;static b=2}new A;'],
  ])('%s', (_name, code) => {
    expect(checkBundle(code)).toEqual([]);
  });
});

describe('locations and formatting', () => {
  it('reports the 1-based line and column, a snippet around it and a readable error', () => {
    const code = 'var a=1;\nvar b=2,c={[a]:b};print(c);';
    const [v] = checkBundle(code);
    expect(v).toMatchObject({ rule: 'computed-key', line: 2, column: 12 });
    expect(code.split('\n')[1].slice(v.column - 1)).toMatch(/^\[a\]:b/);
    expect(v.snippet).toContain('{[a]:b}');
    expect(v.snippet).not.toContain('\n');
    const text = formatViolations([v], 'dist/firmware/esp32.js');
    expect(text).toMatch(/^dist\/firmware\/esp32\.js:2:12: error \[computed-key\] /);
    // the caret line points at the violation within the snippet
    const [, snippet, caret] = text.split('\n');
    expect(snippet.slice(caret.indexOf('^'))).toMatch(/^\[a\]/);
  });

  it('keeps snippets about 60 characters in a long minified line', () => {
    const code = 'var q=1;'.repeat(50) + 'var o={[q]:1};' + 'var z=2;'.repeat(50);
    const [v] = checkBundle(code);
    expect(v.snippet.length).toBe(60);
    expect(v.snippet).toContain('{[q]:1}');
  });
});

describe('TypeScript through the real esbuild options', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mw-check-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const build = async (src: string): Promise<string> => {
    const entry = join(dir, `e${n++}.ts`);
    writeFileSync(entry, src);
    const r = await esbuild.build(espruinoBuildOptions({ entry, board: boards[0], version: '9.9.9', absWorkingDir: dir }));
    return restoreRequire(r.outputFiles![0].text);
  };
  const buildError = async (src: string): Promise<string> => {
    try {
      await build(src);
    } catch (e) {
      return (e as esbuild.BuildFailure).errors.map((m) => m.text).join('\n');
    }
    throw new Error('expected a build error');
  };

  it.each([
    ['default params', 'export function f(a = 1) { return a; } print(f());', /default arguments/],
    ['destructuring', 'const o: any = { a: 1 }; const { a } = o; print(a);', /destructuring/],
    ['async', 'async function f() { return 1; } print(f());', /async functions/],
    ['rest params', 'function f(...a: number[]) { return a; } print(f(1));', /rest arguments/],
    ['array spread', 'const a = [1]; print([...a, 2]);', /array spread/],
    ['generators', 'function* g() { yield 1; } print(g());', /generator/],
  ])('%s are a build error', async (_name, src, message) => {
    expect(await buildError(src)).toMatch(message);
  });

  it.each([
    ['`?.`', 'const o: any = { a: { b: 2 } }; print(o?.a?.b, o.x?.y);', '?.'],
    ['`||=`', 'let a: any = 0; a ||= 5; print(a);', '||='],
    ['`**`', 'let a = 3; print(a ** 2);', '**'],
    ['object spread', 'const a = { x: 1 }; print({ ...a, y: 2 });', '...'],
  ])('%s is lowered and the result passes the check', async (_name, src, token) => {
    const code = await build(src);
    expect(code).not.toContain(token);
    expect(checkBundle(code)).toEqual([]);
  });

  it('computed keys pass esbuild but are caught by the check', async () => {
    const code = await build('const k = String(Math.random()); print({ [k]: 1 });');
    expect(rulesOf(code)).toEqual(['computed-key']);
  });

  it('a class naming itself comes out as esbuild\'s self-named class expression and is caught', async () => {
    const code = await build('class Foo { static make(): Foo { return new Foo(); } } print(Foo.make());');
    expect(code).toMatch(/=class [\w$]+\{/);
    expect(rulesOf(code)).toEqual(['self-named-class']);
  });

  it('#private is lowered to WeakMap, which the check rejects', async () => {
    const code = await build('class A { #x = 1; get() { return this.#x; } } print(new A().get());');
    expect(code).toContain('WeakMap');
    expect(rulesOf(code)).toContain('forbidden-global');
  });

  it('a use before a function declaration and a loop-let closure survive esbuild and are caught', async () => {
    expect(rulesOf(await build('print(f()); function f() { return 1; }'))).toEqual(['hoisting']);
    expect(rulesOf(await build('const fs: (() => number)[] = []; for (let i = 0; i < 3; i++) fs.push(() => i); print(fs);')))
      .toEqual(['let-closure-in-loop']);
  });

  it('keeps require("crypto") a plain call with no __require helper, and rejects other modules', async () => {
    const code = await build('const c = require("crypto"); const s = require("Storage"); print(c, s);');
    expect(code).toContain('require("crypto")');
    expect(code).toContain('require("Storage")');
    expect(code).not.toContain('typeof require');
    expect(code).not.toContain('__meshwork');
    expect(checkBundle(code)).toEqual([]);
    expect(rulesOf(await build('print(require("./other.ts"));'))).toEqual(['require-unknown']);
  });

  it('inlines board leaves and FIRMWARE_VERSION; a non-leaf BOARD path is caught', async () => {
    const code = await build('print(BOARD.capacities.dedupSlots, BOARD.radio, BOARD.pins.led, FIRMWARE_VERSION);');
    const b = boards[0];
    expect(code).toContain(`print(${b.capacities.dedupSlots},${JSON.stringify(b.radio)},${JSON.stringify(b.pins.led)},"9.9.9")`);
    expect(checkBundle(code)).toEqual([]);
    expect(rulesOf(await build('print(BOARD.pins);'))).toEqual(['forbidden-global']);
  });

  it('a regex esbuild cannot keep becomes new RegExp("…"), which the check inspects', async () => {
    const code = await build('print(/(?<year>\\d+)/.test("2024"));');
    expect(code).toContain('new RegExp(');
    expect(rulesOf(code)).toEqual(['unsupported-syntax']);
  });
});
