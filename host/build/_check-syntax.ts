/**
 * Syntax rules: nodes Espruino cannot parse or runs wrongly, wherever they appear in the bundle.
 * - computed-key: `{[k]: v}` and computed class members (SyntaxError; esbuild passes them through).
 * - tagged-template: `` tag`…` `` (not supported; esbuild passes it through).
 * - label: labeled statements (`outer: for …`, `continue outer`).
 * - unsupported-syntax: defense in depth behind the esbuild `supported` map, in case an option or an esbuild
 *   version lets something through: spread, rest, destructuring patterns, default values, async/await,
 *   generators/yield, `?.`, `**`, logical assignment, `#private`, static blocks, `for await`, BigInt literals,
 *   `new.target` / `import.meta`, dynamic `import()`, classes extending Error, and regular expressions outside
 *   the measured-good subset (./_check-regex.ts), both literals and `RegExp("…")` with literal arguments
 *   (esbuild turns regex literals it considers unsupported into `new RegExp("…")`).
 */
import { full } from 'acorn-walk';
import type { Node } from 'acorn';
import type { CheckContext } from './_check-types.ts';
import { regexProblems } from './_check-regex.ts';

type AnyNode = Node & Record<string, any>;

const ERROR_CLASSES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'InternalError']);

const SIMPLE: Record<string, string> = {
  SpreadElement: 'spread `...x`',
  RestElement: 'rest element `...x`',
  ObjectPattern: 'object destructuring',
  ArrayPattern: 'array destructuring',
  AssignmentPattern: 'default value in a parameter or pattern',
  AwaitExpression: '`await`',
  YieldExpression: '`yield`',
  ChainExpression: 'optional chaining `?.`',
  StaticBlock: 'class static block',
  ImportExpression: 'dynamic `import()`',
};

function isGlobalRef(ctx: CheckContext, n: AnyNode, name: string): boolean {
  if (n.type !== 'Identifier' || n.name !== name) return false;
  const ref = ctx.scopes.refOf.get(n);
  return !!ref && ref.decl === null;
}

function checkRegex(ctx: CheckContext, at: Node, pattern: string, flags: string): void {
  const problems = regexProblems(pattern, flags);
  if (problems.length) {
    ctx.report('unsupported-syntax', at,
      `regular expression /${pattern}/${flags}: ${problems.join(', ')} (not supported by Espruino's regex engine)`);
  }
}

export function checkSyntax(ctx: CheckContext): void {
  full(ctx.ast, (node) => {
    const n = node as AnyNode;
    const simple = SIMPLE[n.type];
    if (simple) {
      ctx.report('unsupported-syntax', n, `${simple} is a SyntaxError on Espruino`);
      return;
    }
    switch (n.type) {
      case 'Property': case 'MethodDefinition': case 'PropertyDefinition':
        // acorn-walk does not visit non-computed keys: private names are checked here and below
        if (n.key.type === 'PrivateIdentifier') ctx.report('unsupported-syntax', n, `private member \`#${n.key.name}\` is a SyntaxError on Espruino`);
        if (n.computed) ctx.report('computed-key', n, 'computed key `[expr]` in an object literal or class is a SyntaxError on Espruino: assign the property after creating the object');
        break;
      case 'TaggedTemplateExpression':
        ctx.report('tagged-template', n, 'tagged template is not supported by Espruino');
        break;
      case 'LabeledStatement':
        ctx.report('label', n, `label \`${n.label.name}:\` is not supported by Espruino: use a flag or a function`);
        break;
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        if (n.async) ctx.report('unsupported-syntax', n, 'async function is a SyntaxError on Espruino');
        if (n.generator) ctx.report('unsupported-syntax', n, 'generator function is a SyntaxError on Espruino');
        break;
      case 'MemberExpression':
        if (n.property.type === 'PrivateIdentifier') ctx.report('unsupported-syntax', n, `private member \`#${n.property.name}\` is a SyntaxError on Espruino`);
        break;
      case 'BinaryExpression':
        if (n.left.type === 'PrivateIdentifier') ctx.report('unsupported-syntax', n, `private brand check \`#${n.left.name} in\` is a SyntaxError on Espruino`);
        if (n.operator === '**') ctx.report('unsupported-syntax', n, '`**` is a SyntaxError on Espruino: use Math.pow');
        break;
      case 'AssignmentExpression':
        if (['**=', '||=', '&&=', '??='].includes(n.operator)) ctx.report('unsupported-syntax', n, `\`${n.operator}\` is a SyntaxError on Espruino`);
        break;
      case 'ForOfStatement':
        if (n.await) ctx.report('unsupported-syntax', n, '`for await` is a SyntaxError on Espruino');
        break;
      case 'MetaProperty':
        ctx.report('unsupported-syntax', n, `\`${n.meta.name}.${n.property.name}\` is a SyntaxError on Espruino`);
        break;
      case 'ClassDeclaration': case 'ClassExpression':
        if (n.superClass && n.superClass.type === 'Identifier' && ERROR_CLASSES.has(n.superClass.name) && isGlobalRef(ctx, n.superClass, n.superClass.name)) {
          ctx.report('unsupported-syntax', n, `a class cannot extend ${n.superClass.name} on Espruino: return errors as values or throw a plain Error`);
        }
        break;
      case 'Literal':
        if (n.regex) checkRegex(ctx, n, n.regex.pattern, n.regex.flags);
        if (typeof n.bigint === 'string') ctx.report('unsupported-syntax', n, 'BigInt literal: Espruino has no BigInt');
        break;
      case 'NewExpression': case 'CallExpression': {
        const [p, f] = n.arguments as AnyNode[];
        const isStr = (a: AnyNode | undefined): boolean => !!a && a.type === 'Literal' && typeof a.value === 'string';
        if (isGlobalRef(ctx, n.callee, 'RegExp') && isStr(p) && (f === undefined || isStr(f))) {
          checkRegex(ctx, n, p.value, f ? f.value : '');
        }
        break;
      }
    }
  });
}
