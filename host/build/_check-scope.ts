/**
 * Rules where Espruino's scoping differs from JavaScript's (measured on Espruino 2v29, Linux build):
 *
 * hoisting — Espruino creates a function declaration's binding only when execution reaches the statement,
 *   at the top level and inside functions alike; an earlier use is a ReferenceError. The rule, per statement
 *   list L (program, block, function body, switch cases): for each function declaration F at index i in L,
 *   it is a violation when executing a statement j < i of L evaluates a reference that resolves to F. "Executing"
 *   covers what runs at once: the statement's expressions outside any function body, the bodies of functions
 *   invoked in place (`(function(){…})()`, `.call`, `.apply`), and, transitively, the bodies of functions and
 *   class constructors (and instance field initializers) called by name (`g()`, `new C()`) where the name
 *   resolves to a function declaration or to a variable initialized with a function or class expression.
 *   A function body created but not run (a callback, a method, a returned closure) is not executing: bodies
 *   may name later functions freely, which is what esbuild's output and mutual recursion do.
 *   Sound for what it covers: every reported case runs before the declaration on every path that reaches
 *   statement j. Not followed (so not reported): calls through properties (`o.g()`), through parameters or
 *   callbacks handed to other functions (`[1].forEach(g)` reports g itself, not what g calls), recursion
 *   beyond a cycle already being followed.
 *
 * let-closure-in-loop — a `let`/`const` declared in a for / for-in / for-of head is ONE binding for the
 *   whole loop on Espruino: closures created in the loop all see its last value (measured [3,3,3]). A
 *   violation is a function (or field initializer) inside the loop that references such a binding, unless
 *   the function is invoked in place. Declarations in the loop BODY are fresh per iteration on Espruino
 *   (measured [0,1,2] for let and const, for and while loops), so they are not reported; `var` is one
 *   binding in JavaScript too.
 *
 * self-named-class — a class expression's own name is not bound inside its body on Espruino (ReferenceError),
 *   e.g. esbuild's `var X = class _X { static make() { return new _X() } }`. Every reference to that inner
 *   name is reported, including `var t = class t {…}` where the outer `t` happens to hide the problem: the
 *   minifier chooses those names per build, so the rule does not depend on them. Class declarations and
 *   named function expressions bind their names (measured) and are allowed.
 */
import type { Node } from 'acorn';
import type { CheckContext } from './_check-types.ts';
import { isFunctionNode, type Decl, type Ref, type ScopeInfo } from './_scope.ts';

type AnyNode = Node & Record<string, any>;
interface Reach { ref: Ref; via: AnyNode | null }

const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'regex']);

function eachChild(node: AnyNode, fn: (c: AnyNode) => void): void {
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const v = node[key];
    if (Array.isArray(v)) { for (const c of v) if (c && typeof c.type === 'string') fn(c); }
    else if (v && typeof v.type === 'string') fn(v);
  }
}

export function isInvokedInPlace(fn: AnyNode, parentOf: ScopeInfo['parentOf']): boolean {
  const p = parentOf.get(fn);
  if (!p) return false;
  if ((p.type === 'CallExpression' || p.type === 'NewExpression') && p.callee === fn) return true;
  if (p.type === 'MemberExpression' && p.object === fn && !p.computed && ['call', 'apply'].includes(p.property.name)) {
    const pp = parentOf.get(p);
    return !!pp && pp.type === 'CallExpression' && pp.callee === p;
  }
  return false;
}

/** What runs when something declared by `decl` is called (`callee()`) or constructed (`new callee()`). */
function calleeBody(decl: Decl, isNew: boolean): AnyNode | null {
  let target: AnyNode | null = null;
  if (decl.kind === 'function' || decl.kind === 'class') target = decl.node;
  else if ((decl.kind === 'var' || decl.kind === 'let' || decl.kind === 'const') && decl.node.id === decl.id) target = decl.node.init ?? null;
  if (!target) return null;
  if (isFunctionNode(target)) return target;
  if (isNew && (target.type === 'ClassDeclaration' || target.type === 'ClassExpression')) return target;
  return null;
}

function createReachability(info: ScopeInfo) {
  const memo = new Map<AnyNode, Ref[]>();
  const following = new Set<AnyNode>();

  // References evaluated when `node` runs; calls by name are followed, with `via` = the call in `node`.
  const eager = (node: AnyNode, out: Reach[], via: AnyNode | null): void => {
    if (isFunctionNode(node)) {
      if (isInvokedInPlace(node, info.parentOf)) for (const r of bodyRefs(node)) out.push({ ref: r, via });
      return;
    }
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
      if (node.superClass) eager(node.superClass, out, via);
      for (const el of node.body.body as AnyNode[]) {
        if (el.computed) eager(el.key, out, via);
        if (el.static && el.type === 'PropertyDefinition' && el.value) eager(el.value, out, via);
        if (el.type === 'StaticBlock') for (const st of el.body) eager(st, out, via);
      }
      return;
    }
    if (node.type === 'Identifier') {
      const ref = info.refOf.get(node);
      if (ref) out.push({ ref, via });
      return;
    }
    eachChild(node, (c) => eager(c, out, via));
    if ((node.type === 'CallExpression' || node.type === 'NewExpression') && node.callee.type === 'Identifier') {
      const decl = info.refOf.get(node.callee)?.decl;
      const body = decl ? calleeBody(decl, node.type === 'NewExpression') : null;
      if (body) for (const r of bodyRefs(body)) out.push({ ref: r, via: via ?? node });
    }
  };

  // References evaluated by running a function body (or constructing a class), memoized per node.
  const bodyRefs = (fnOrClass: AnyNode): Ref[] => {
    const known = memo.get(fnOrClass);
    if (known) return known;
    if (following.has(fnOrClass)) return [];
    following.add(fnOrClass);
    const out: Reach[] = [];
    if (isFunctionNode(fnOrClass)) {
      for (const p of fnOrClass.params) eager(p, out, null);
      eager(fnOrClass.body, out, null);
    } else {
      for (const el of fnOrClass.body.body as AnyNode[]) {
        if (el.type === 'MethodDefinition' && el.kind === 'constructor') eager(el.value.body, out, null);
        if (el.type === 'PropertyDefinition' && !el.static && el.value) eager(el.value, out, null);
      }
    }
    following.delete(fnOrClass);
    const refs = out.map((r) => r.ref);
    memo.set(fnOrClass, refs);
    return refs;
  };
  return eager;
}

function statementLists(ast: AnyNode): AnyNode[][] {
  const lists: AnyNode[][] = [];
  const walk = (n: AnyNode): void => {
    if (n.type === 'Program' || n.type === 'BlockStatement' || n.type === 'StaticBlock') lists.push(n.body);
    if (n.type === 'SwitchStatement') lists.push(n.cases.flatMap((c: AnyNode) => c.consequent));
    eachChild(n, walk);
  };
  walk(ast);
  return lists;
}

function checkHoisting(ctx: CheckContext): void {
  const eager = createReachability(ctx.scopes);
  for (const list of statementLists(ctx.ast as AnyNode)) {
    const index = new Map<AnyNode, number>();
    list.forEach((st, i) => { if (st.type === 'FunctionDeclaration') index.set(st, i); });
    if (index.size === 0) continue;
    list.forEach((st, j) => {
      const reached: Reach[] = [];
      eager(st, reached, null);
      const seen = new Set<string>();
      for (const { ref, via } of reached) {
        const i = ref.decl && ref.decl.kind === 'function' ? index.get(ref.decl.node) : undefined;
        if (i === undefined || i <= j) continue;
        const at = via ?? ref.id;
        const key = ref.decl!.name + '@' + at.start;
        if (seen.has(key)) continue;
        seen.add(key);
        const decl = ctx.code.slice(ref.decl!.node.start, ref.decl!.node.start + 12);
        const how = via ? ` through the call \`${ctx.code.slice(via.start, Math.min(via.end, via.start + 30))}\`` : '';
        ctx.report('hoisting', at, `function \`${ref.decl!.name}\` is used${how} before its declaration (\`${decl}…\`, offset ${ref.decl!.node.start}) has run: Espruino does not hoist function declarations`);
      }
    });
  }
}

function checkLoopClosures(ctx: CheckContext): void {
  const seen = new Set<string>();
  for (const ref of ctx.scopes.refs) {
    const d = ref.decl;
    if (!d || (d.kind !== 'let' && d.kind !== 'const') || d.scope.kind !== 'for-head') continue;
    for (let s = ref.scope; s && s !== d.scope; s = s.parent!) {
      if (!s.isFunction || (isFunctionNode(s.node) && isInvokedInPlace(s.node, ctx.scopes.parentOf))) continue;
      const key = s.node.start + ':' + d.id.start;
      if (!seen.has(key)) {
        seen.add(key);
        ctx.report('let-closure-in-loop', ref.id, `a closure captures \`${d.name}\` from the loop head (${d.kind}): Espruino shares one binding across iterations, so every closure sees the last value; copy it into a const in the loop body, or pass it as an argument`);
      }
      break;
    }
  }
}

function checkSelfNamedClasses(ctx: CheckContext): void {
  const byClass = new Map<Decl, Ref[]>();
  for (const ref of ctx.scopes.refs) {
    if (ref.decl && ref.decl.kind === 'class-name') byClass.set(ref.decl, [...(byClass.get(ref.decl) ?? []), ref]);
  }
  for (const [decl, refs] of byClass) {
    ctx.report('self-named-class', refs[0].id, `class expression \`${decl.name}\` refers to itself by name inside its body (${refs.length} time${refs.length > 1 ? 's' : ''}): Espruino does not bind that name (ReferenceError); use \`this\`/\`this.constructor\` or a factory outside the class`);
  }
}

export function checkScopes(ctx: CheckContext): void {
  checkHoisting(ctx);
  checkLoopClosures(ctx);
  checkSelfNamedClasses(ctx);
}
