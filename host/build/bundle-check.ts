/**
 * The check over a finished firmware bundle: what esbuild's `supported` map cannot guard (ESPRUINO.md),
 * found by parsing the minified text with acorn and resolving every name with a scope analysis.
 *
 * Rules (stable names; each file documents its rules precisely):
 *   computed-key, tagged-template, label, unsupported-syntax  ./_check-syntax.ts (+ ./_check-regex.ts)
 *   forbidden-global, require-unknown                         ./_check-globals.ts
 *   hoisting, let-closure-in-loop, self-named-class           ./_check-scope.ts
 *   parse-error                                               the text is not an ES script acorn can read
 * A violation carries its bundle location (1-based line and column) and ~60 characters around it, since
 * the minified bundle is one long line.
 */
import { parse, type Node } from 'acorn';
import { analyzeScopes } from './_scope.ts';
import { checkSyntax } from './_check-syntax.ts';
import { checkGlobals } from './_check-globals.ts';
import { checkScopes } from './_check-scope.ts';
import type { CheckContext, RuleName, Violation } from './_check-types.ts';

export type { RuleName, Violation } from './_check-types.ts';
export { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS } from './_check-globals.ts';

export const RULES: readonly RuleName[] = [
  'parse-error', 'computed-key', 'tagged-template', 'label', 'hoisting', 'let-closure-in-loop', 'self-named-class',
  'forbidden-global', 'unsupported-syntax', 'require-unknown',
];

const SNIPPET_HALF = 30;

function locate(code: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = code.indexOf('\n'); i !== -1 && i < offset; i = code.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function snippetAt(code: string, offset: number): string {
  const from = Math.max(0, offset - SNIPPET_HALF);
  const to = Math.min(code.length, offset + SNIPPET_HALF);
  return code.slice(from, to).replace(/\s/g, ' ');
}

/** Every violation in `code` (a finished bundle), ordered by position; empty when the bundle passes. */
export function checkBundle(code: string): Violation[] {
  const violations: Violation[] = [];
  const add = (rule: RuleName, offset: number, message: string): void => {
    const { line, column } = locate(code, offset);
    violations.push({ rule, message, line, column, snippet: snippetAt(code, offset), offset });
  };
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch (e) {
    const err = e as SyntaxError & { pos?: number };
    add('parse-error', err.pos ?? 0, `the bundle does not parse as a script: ${err.message}`);
    return violations;
  }
  const ctx: CheckContext = {
    code,
    ast,
    scopes: analyzeScopes(ast),
    report: (rule, at, message) => add(rule, typeof at === 'number' ? at : at.start, message),
  };
  checkSyntax(ctx);
  checkGlobals(ctx);
  checkScopes(ctx);
  return violations.sort((a, b) => a.offset - b.offset || a.rule.localeCompare(b.rule));
}

/**
 * Human-readable errors, one block per violation:
 *   dist/firmware/esp32.js:1:2345: error [computed-key] computed key … is a SyntaxError on Espruino
 *       …{var a="x",b={[a]:1};print(b)…
 *                      ^
 */
export function formatViolations(violations: readonly Violation[], file = 'bundle'): string {
  return violations.map((v) => {
    const caret = ' '.repeat(Math.min(v.offset, SNIPPET_HALF)) + '^';
    return `${file}:${v.line}:${v.column}: error [${v.rule}] ${v.message}\n    ${v.snippet}\n    ${caret}`;
  }).join('\n');
}
