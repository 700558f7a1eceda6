/**
 * What the emulated REPL needs beyond the line editor: how a line is evaluated in the node's vm context the way
 * Espruino evaluates it (top-level `let` may be redeclared; `var x = v` and function declarations have a
 * value; other statements give undefined), how errors read ("Uncaught ReferenceError: \"x\" is not defined"),
 * the boot banner, and the globals a context loses to look like Espruino.
 */
import vm from 'node:vm';
import * as acorn from 'acorn';

export const VERSION = '2v29';
export const BANNER =
  '\n ____                 _ \n|  __|___ ___ ___ _ _|_|___ ___ \n|  __|_ -| . |  _| | | |   | . |\n' +
  '|____|___|  _|_| |___|_|_|_|___|\n         |_| espruino.com\n' +
  ` ${VERSION} (c) 2026 G.Williams\n\nEspruino is Open Source. Our work is supported\n` +
  'only by sales of official boards and donations:\nhttp://espruino.com/Donate\n\n';

/** thrown through the firmware's stack by E.reboot(); the reboot happens even if the firmware catches it */
export class RebootSignal {
  toString() { return 'E.reboot()'; }
}

export const REMOVE_GLOBALS =
  'global = this;' +
  'delete this.Map; delete this.Set; delete this.WeakMap; delete this.WeakSet; delete this.WeakRef;' +
  'delete this.Symbol; delete this.BigInt; delete this.TextEncoder; delete this.TextDecoder; delete this.Proxy;' +
  'delete Array.from; delete Array.of; delete Math.trunc; delete Math.imul; delete Math.clz32; delete Object.freeze;';

/** V8 message → Espruino's, for the common cases (the error object itself keeps V8's text) */
export function espruinoErrorText(e: unknown): string {
  if (e === null || e === undefined) return String(e);
  if (typeof e !== 'object') return String(e);
  const err = e as { name?: unknown; message?: unknown };
  if (typeof err.name !== 'string' || typeof err.message !== 'string') {
    try { return String(e); } catch { return '[object Object]'; }
  }
  let name = err.name;
  let msg = err.message;
  let m: RegExpExecArray | null;
  if (name === 'ReferenceError' && (m = /^(\S+) is not defined$/.exec(msg))) msg = `"${m[1]}" is not defined`;
  else if (name === 'TypeError' && (m = /^Cannot read properties of (undefined|null) \(reading '(.*)'\)$/.exec(msg))) {
    name = 'Error'; msg = `Can't read property '${m[2]}' of ${m[1]}`;
  } else if (name === 'TypeError' && (m = /^(?:\S+\.)?(\S+) is not a function$/.exec(msg))) {
    name = 'Error'; msg = `Function "${m[1]}" not found!`;
  } else if (name === 'TypeError' && msg === 'Assignment to constant variable.') msg = 'Assignment to a constant';
  return `${name}: ${msg}`;
}

/** Espruino's stack lines under "Uncaught …", approximated from V8's position in the REPL line */
export function replStackText(e: unknown, lastReplCode: string): string {
  const stack = (e as { stack?: unknown })?.stack;
  if (typeof stack !== 'string') return '';
  const m = /REPL:(\d+):(\d+)/.exec(stack);
  if (!m) return '';
  const line = Number(m[1]), col = Number(m[2]);
  const src = lastReplCode.split('\n')[line - 1] ?? '';
  return `    at REPL (:${line}:${col})\n${src}\n${' '.repeat(Math.max(0, col - 1))}^\n`;
}

/** top-level let → var (Espruino lets a REPL redeclare); `var x=v` and function declarations give their value */
export function evalReplLine(code: string, context: vm.Context, G: Record<string, any>): unknown {
  let src = code;
  let after: (() => unknown) | undefined;
  try {
    const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as {
      body: { type: string; kind?: string; start: number; declarations?: { id: { type: string; name?: string } }[]; id?: { name: string } }[];
    };
    for (let i = ast.body.length - 1; i >= 0; i--) {
      const st = ast.body[i];
      if (st.type === 'VariableDeclaration' && st.kind === 'let') src = src.slice(0, st.start) + 'var' + src.slice(st.start + 3);
    }
    const last = ast.body[ast.body.length - 1];
    // Espruino's value of a statement: expressions give theirs, declarations the declared value, others undefined
    if (last && !/^(ExpressionStatement|VariableDeclaration|FunctionDeclaration|ClassDeclaration|EmptyStatement)$/.test(last.type)) {
      after = () => undefined;
    } else if (last?.type === 'VariableDeclaration') {
      const id = last.declarations![last.declarations!.length - 1].id;
      if (id.type === 'Identifier' && last.kind !== 'const') after = () => G[id.name!];
      else if (id.type === 'Identifier') after = () => vm.runInContext(id.name!, context);
    } else if (last?.type === 'FunctionDeclaration' && last.id) {
      const name = last.id.name;
      after = () => G[name];
    }
  } catch {
    // not parseable: let V8 raise the SyntaxError
  }
  const v = vm.runInContext(src, context, { filename: 'REPL' });
  return after ? after() : v;
}
