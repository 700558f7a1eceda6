/**
 * A small scope analyzer for the bundle check: which declaration every identifier reference resolves to,
 * under the standard JS rules (the bundle is minified, so the same short name means different things in
 * different scopes: text matching would be wrong). Resolution is per the spec on purpose; the rules in
 * ./_check-scope.ts then ask where Espruino differs (no hoisting, one binding per loop head, no inner name
 * for class expressions).
 *
 * Scopes: the program, each function (params + body), each block / switch / catch clause / static block,
 * a for / for-in / for-of head that declares let or const ('for-head'), the inner name of a named function
 * or class expression, and a pseudo-function for each instance field initializer (it runs at construction).
 */
import type { Node, Identifier } from 'acorn';

// acorn's node types are a union; the walker reads fields generically
type AnyNode = Node & Record<string, any>;

export type DeclKind = 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'catch' | 'class-name' | 'fn-name';
export type ScopeKind = 'program' | 'function' | 'block' | 'for-head' | 'catch' | 'class-name' | 'fn-name' | 'field';

export interface Scope {
  kind: ScopeKind;
  node: AnyNode;
  parent: Scope | null;
  /** true where a function body starts: code below runs when the function is called, not now */
  isFunction: boolean;
  decls: Map<string, Decl>;
}

export interface Decl {
  name: string;
  kind: DeclKind;
  scope: Scope;
  id: Identifier;
  /** FunctionDeclaration, VariableDeclarator, ClassDeclaration/Expression, function (params), CatchClause */
  node: AnyNode;
}

export interface Ref {
  id: Identifier;
  scope: Scope;
  /** null: a global (no declaration in the bundle) */
  decl: Decl | null;
}

export interface ScopeInfo {
  root: Scope;
  refs: Ref[];
  /** every reference Identifier → its Ref (declaration ids and property names are not references) */
  refOf: Map<Node, Ref>;
  parentOf: Map<Node, AnyNode>;
  /** function-like node → the scope of its body */
  scopeOf: Map<Node, Scope>;
}

const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'regex']);

export function isFunctionNode(n: AnyNode | undefined): boolean {
  return !!n && (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression');
}

export function analyzeScopes(program: Node): ScopeInfo {
  const root: Scope = { kind: 'program', node: program as AnyNode, parent: null, isFunction: true, decls: new Map() };
  const pending: { id: Identifier; scope: Scope }[] = [];
  const parentOf = new Map<Node, AnyNode>();
  const scopeOf = new Map<Node, Scope>();

  const newScope = (kind: ScopeKind, node: AnyNode, parent: Scope, isFunction = false): Scope =>
    ({ kind, node, parent, isFunction, decls: new Map() });
  const varScope = (s: Scope): Scope => {
    let x = s;
    while (!x.isFunction) x = x.parent as Scope;
    return x;
  };
  const declare = (scope: Scope, id: Identifier, kind: DeclKind, node: AnyNode): void => {
    // a later `var`/function of the same name in one scope is the same binding: keep the first
    if (!scope.decls.has(id.name)) scope.decls.set(id.name, { name: id.name, kind, scope, id, node });
  };

  const children = (node: AnyNode, fn: (child: AnyNode) => void): void => {
    for (const key of Object.keys(node)) {
      if (SKIP_KEYS.has(key)) continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === 'string') fn(c);
      } else if (v && typeof v.type === 'string') {
        fn(v);
      }
    }
  };
  const link = (child: AnyNode | null | undefined, parent: AnyNode): AnyNode | null => {
    if (child) parentOf.set(child, parent);
    return child ?? null;
  };

  // Binding patterns: identifiers are declared; default values and computed keys are ordinary expressions.
  const bindPattern = (p: AnyNode, parent: AnyNode, scope: Scope, kind: DeclKind, declNode: AnyNode, exprScope: Scope): void => {
    link(p, parent);
    switch (p.type) {
      case 'Identifier': declare(scope, p as Identifier, kind, declNode); break;
      case 'ObjectPattern':
        for (const prop of p.properties) {
          link(prop, p);
          if (prop.type === 'RestElement') { bindPattern(prop.argument, prop, scope, kind, declNode, exprScope); continue; }
          if (prop.computed) visit(link(prop.key, prop) as AnyNode, exprScope);
          bindPattern(prop.value, prop, scope, kind, declNode, exprScope);
        }
        break;
      case 'ArrayPattern':
        for (const el of p.elements) if (el) bindPattern(el, p, scope, kind, declNode, exprScope);
        break;
      case 'RestElement': bindPattern(p.argument, p, scope, kind, declNode, exprScope); break;
      case 'AssignmentPattern':
        bindPattern(p.left, p, scope, kind, declNode, exprScope);
        visit(link(p.right, p) as AnyNode, exprScope);
        break;
      default: visit(p, exprScope); // MemberExpression targets in assignment patterns
    }
  };

  const visitFunction = (fn: AnyNode, scope: Scope): void => {
    let outer = scope;
    if (fn.type === 'FunctionExpression' && fn.id) {
      outer = newScope('fn-name', fn, scope);
      declare(outer, fn.id, 'fn-name', fn);
      link(fn.id, fn);
    }
    const fs = newScope('function', fn, outer, true);
    scopeOf.set(fn, fs);
    for (const p of fn.params) bindPattern(p, fn, fs, 'param', fn, fs);
    const body = link(fn.body, fn) as AnyNode;
    if (body.type === 'BlockStatement') for (const st of body.body) visit(link(st, body) as AnyNode, fs);
    else visit(body, fs);
  };

  const visitClass = (cls: AnyNode, scope: Scope): void => {
    if (cls.superClass) visit(link(cls.superClass, cls) as AnyNode, scope);
    let inner = scope;
    if (cls.type === 'ClassExpression' && cls.id) {
      inner = newScope('class-name', cls, scope);
      declare(inner, cls.id, 'class-name', cls);
      link(cls.id, cls);
    }
    const body = link(cls.body, cls) as AnyNode;
    for (const el of body.body) {
      link(el, body);
      if (el.computed) visit(link(el.key, el) as AnyNode, inner);
      if (el.type === 'MethodDefinition') visitFunction(link(el.value, el) as AnyNode, inner);
      else if (el.type === 'PropertyDefinition' && el.value) {
        const fs = el.static ? inner : newScope('field', el, inner, true);
        if (!el.static) scopeOf.set(el, fs);
        visit(link(el.value, el) as AnyNode, fs);
      } else if (el.type === 'StaticBlock') {
        const bs = newScope('block', el, inner);
        for (const st of el.body) visit(link(st, el) as AnyNode, bs);
      }
    }
  };

  function visit(node: AnyNode, scope: Scope): void {
    switch (node.type) {
      case 'Identifier': pending.push({ id: node as Identifier, scope }); return;
      case 'FunctionDeclaration':
        declare(scope, node.id, 'function', node);
        link(node.id, node);
        visitFunction(node, scope);
        return;
      case 'FunctionExpression': case 'ArrowFunctionExpression': visitFunction(node, scope); return;
      case 'ClassDeclaration':
        declare(scope, node.id, 'class', node);
        link(node.id, node);
        visitClass(node, scope);
        return;
      case 'ClassExpression': visitClass(node, scope); return;
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? varScope(scope) : scope;
        for (const d of node.declarations) {
          link(d, node);
          bindPattern(d.id, d, target, node.kind, d, scope);
          if (d.init) visit(link(d.init, d) as AnyNode, scope);
        }
        return;
      }
      case 'BlockStatement': case 'StaticBlock': {
        const bs = newScope('block', node, scope);
        for (const st of node.body) visit(link(st, node) as AnyNode, bs);
        return;
      }
      case 'SwitchStatement': {
        visit(link(node.discriminant, node) as AnyNode, scope);
        const bs = newScope('block', node, scope);
        for (const c of node.cases) { link(c, node); children(c, (ch) => visit(link(ch, c) as AnyNode, bs)); }
        return;
      }
      case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        const lexical = head && head.type === 'VariableDeclaration' && head.kind !== 'var';
        const hs = lexical ? newScope('for-head', node, scope) : scope;
        children(node, (ch) => {
          link(ch, node);
          // the left side of for-in/of without a declaration is an assignment target
          if (ch === node.left && ch.type !== 'VariableDeclaration') bindOrAssign(ch, node, hs);
          else visit(ch, hs);
        });
        return;
      }
      case 'CatchClause': {
        const cs = newScope('catch', node, scope);
        if (node.param) bindPattern(node.param, node, cs, 'catch', node, cs);
        visit(link(node.body, node) as AnyNode, cs);
        return;
      }
      case 'AssignmentExpression':
        link(node.left, node);
        bindOrAssign(node.left, node, scope);
        visit(link(node.right, node) as AnyNode, scope);
        return;
      case 'MemberExpression':
        visit(link(node.object, node) as AnyNode, scope);
        link(node.property, node);
        if (node.computed) visit(node.property, scope);
        return;
      case 'Property': case 'PropertyDefinition': case 'MethodDefinition':
        link(node.key, node);
        if (node.computed) visit(node.key, scope);
        if (node.value) visit(link(node.value, node) as AnyNode, scope);
        return;
      case 'LabeledStatement': link(node.label, node); visit(link(node.body, node) as AnyNode, scope); return;
      case 'BreakStatement': case 'ContinueStatement': link(node.label, node); return;
      case 'MetaProperty': case 'PrivateIdentifier': case 'Literal': return;
      default: children(node, (ch) => visit(link(ch, node) as AnyNode, scope));
    }
  }

  // Assignment targets: plain identifiers and patterns hold references (writes), not declarations.
  function bindOrAssign(target: AnyNode, parent: AnyNode, scope: Scope): void {
    link(target, parent);
    if (target.type === 'ObjectPattern' || target.type === 'ArrayPattern') {
      children(target, (ch) => {
        if (ch.type === 'Property') {
          link(ch, target);
          if (ch.computed) visit(link(ch.key, ch) as AnyNode, scope);
          bindOrAssign(ch.value, ch, scope);
        } else bindOrAssign(ch, target, scope);
      });
    } else if (target.type === 'RestElement') bindOrAssign(target.argument, target, scope);
    else if (target.type === 'AssignmentPattern') {
      bindOrAssign(target.left, target, scope);
      visit(link(target.right, target) as AnyNode, scope);
    } else visit(target, scope);
  }

  const prog = program as AnyNode;
  for (const st of prog.body) visit(link(st, prog) as AnyNode, root);

  const refs: Ref[] = [];
  const refOf = new Map<Node, Ref>();
  for (const p of pending) {
    let s: Scope | null = p.scope;
    let decl: Decl | null = null;
    while (s && !decl) { decl = s.decls.get(p.id.name) ?? null; s = s.parent; }
    const ref: Ref = { id: p.id, scope: p.scope, decl };
    refs.push(ref);
    refOf.set(p.id, ref);
  }
  return { root, refs, refOf, parentOf, scopeOf };
}
