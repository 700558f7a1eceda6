/** Types shared by bundle-check.ts and its rule files (_check-*.ts). */
import type { Node } from 'acorn';
import type { ScopeInfo } from './_scope.ts';

export type RuleName =
  | 'parse-error'
  | 'computed-key'
  | 'tagged-template'
  | 'label'
  | 'hoisting'
  | 'let-closure-in-loop'
  | 'self-named-class'
  | 'forbidden-global'
  | 'unsupported-syntax'
  | 'require-unknown';

export interface Violation {
  rule: RuleName;
  message: string;
  /** 1-based line in the bundle */
  line: number;
  /** 1-based column in the bundle */
  column: number;
  /** ~60 characters of the bundle around the location, on one line */
  snippet: string;
  /** 0-based offset in the bundle */
  offset: number;
}

export interface CheckContext {
  code: string;
  ast: Node;
  scopes: ScopeInfo;
  report(rule: RuleName, at: Node | number, message: string): void;
}
