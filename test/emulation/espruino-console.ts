/**
 * Espruino's console line editor and REPL (src/jsinteractive.c at c5ff787: jsiHandleConsoleChar,
 * jsiHandleNewLine, jsiConsoleRemoveInputLine / jsiConsoleReturnInputLine, jsiCountBracketsInInput), ported
 * as a state machine over bytes, so a host talking to the emulation sees what a board sends:
 * - typed characters are echoed; Enter executes when brackets are balanced (else "\r\n:" and the line goes
 *   on); "\x1b\n" (alt-enter) adds a newline without executing; an unterminated string executes at once;
 * - DLE (\x10) at the start of a line turns echo off for that line: no echo, no "=result", no prompt
 *   afterwards unless something was printed;
 * - "=value" after an echoed line (Espruino's printer), "Uncaught ..." for errors, prompt ">" once all
 *   input of a chunk has been handled (a chunk of several lines gives one prompt, as the real loop does);
 * - output printed while a prompt is shown first erases the input line ("\r\x1b[J"), then the prompt and
 *   the typed line come back after the task;
 * - Ctrl-C (\x03) clears a non-empty line (board behaviour; the Linux build's "Press Ctrl-C again to exit"
 *   on an empty line is not emulated); Ctrl-E on an empty line answers "Espruino 2v29 BOARD";
 * - line editing: left/right/home/end/backspace/delete with Espruino's VT100 redraws, Enter inside the text
 *   breaks the line there; up/down (history) are swallowed.
 * Every newline written goes out as "\r\n".
 */

export interface ReplHost {
  /** raw console output (one call = one write) */
  write(s: string): void;
  /** run one REPL line; returns its value, or reports the error itself and returns { error: true } */
  execute(code: string): { value?: unknown; error?: boolean };
  /** `=value` text */
  inspect(v: unknown): string;
  /** called after each executed line (deferred reset/load/reboot) */
  afterLine(): void;
  /** answer to Ctrl-E on an empty line ("Espruino 2v29 BOARD\n") */
  enquiry(): string;
}

const enum In { None, Dle, Esc, EscBracket, EscO, EscNum, HadR }

/** keywords after which a `/` starts a regex, not a division */
const REGEX_AFTER = /^(return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$/;

/**
 * jsiCountBracketsInInput with a lexer just good enough for it: strings, template literals, comments and
 * regex literals are skipped; an unterminated string gives 0 (execute, so it errors), an unterminated
 * comment or template 1000 (keep reading lines).
 */
export function countBrackets(src: string): number {
  let b = 0;
  let i = 0;
  let prev = ''; // previous token: a word, or a punctuator character
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length || src[j] === '\n') return 0;
      i = j + 1; prev = 'str'; continue;
    }
    if (c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== '`') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) return 1000;
      i = j + 1; prev = 'str'; continue;
    }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const j = src.indexOf('*/', i + 2);
      if (j < 0) return 1000;
      i = j + 2; continue;
    }
    if (c === '/' && (prev === '' || REGEX_AFTER.test(prev) || !/^[\w$)\]]/.test(prev))) {
      let j = i + 1;
      let cls = false;
      while (j < src.length && src[j] !== '\n' && (cls || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j++;
      }
      if (j < src.length && src[j] === '/') {
        i = j + 1;
        while (i < src.length && /[a-z]/.test(src[i])) i++;
        prev = 'str';
        continue;
      }
    }
    if (/[\w$]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[\w$]/.test(src[j])) j++;
      prev = src.slice(i, j);
      i = j;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') b++;
    if (c === '}' || c === ']' || c === ')') b--;
    if (b < 0) return b;
    if (!/\s/.test(c)) prev = c;
    i++;
  }
  return b;
}

export class EspruinoRepl {
  private line = '';
  private cursor = 0;
  private removed = true; // no prompt on the line yet
  private echoOffForLine = false;
  /** echo(false) */
  echoOff = false;
  private st: In = In.None;
  private escNum = 0;
  private pending = '';

  constructor(private host: ReplHost) {}

  private echo(): boolean { return !this.echoOff && !this.echoOffForLine; }
  /** echo is on for the line being handled */
  get echoing(): boolean { return this.echo(); }
  private show(): boolean { return this.echo() && !this.removed; }
  private out(s: string): void { this.pending += s; }

  /** send what the editor has queued (echo, results) */
  flush(): void {
    if (this.pending) { const p = this.pending; this.pending = ''; this.host.write(p); }
  }

  /** jsvGetLineAndCol: [line, column] of a position in the input line */
  private lineCol(pos: number): [number, number] {
    const before = this.line.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    return [before.split('\n').length - 1, pos - (nl + 1)];
  }

  /** jsiMoveCursorChar: VT100 moves from one position of the input line to another */
  private moveCursor(from: number, to: number): string {
    if (from === to) return '';
    const [y1, x1] = this.lineCol(from);
    const [y2, x2] = this.lineCol(to);
    return (x2 > x1 ? '\x1b[C'.repeat(x2 - x1) : '\x1b[D'.repeat(x1 - x2)) +
      (y2 > y1 ? '\x1b[B'.repeat(y2 - y1) : '\x1b[A'.repeat(y1 - y2));
  }

  /** text from a position to the end of its line, then back to it (jsiConsolePrintStringVarUntilEOL, andBackup) */
  private restOfLine(from: number): string {
    let end = this.line.indexOf('\n', from);
    if (end < 0) end = this.line.length;
    const t = this.line.slice(from, end);
    return t + ' ' + '\b'.repeat(t.length + 1);
  }

  /** jsiConsoleRemoveInputLine: erase the prompt and typed text before other output */
  removeInputLine(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.echo()) this.out(this.moveCursor(this.cursor, 0) + '\r\x1b[J');
  }

  /** jsiConsoleReturnInputLine: the prompt and the typed text come back */
  returnInputLine(): void {
    if (!this.removed) return;
    this.removed = false;
    if (this.echo()) this.out('>' + this.line.replace(/\n/g, '\r\n:') + this.moveCursor(this.line.length, this.cursor));
  }

  /** print()/console.log(): one write, with the input line erased first */
  print(text: string): void {
    this.removeInputLine();
    this.out(text.replace(/\n/g, '\r\n'));
    this.flush();
  }

  /** the boot banner: printed as is (no line to erase), the prompt follows */
  printBanner(text: string): void {
    this.out(text.replace(/\n/g, '\r\n'));
    this.flush();
    this.removed = true;
  }

  /** the whole input state is dropped (reset) */
  clearLine(): void { this.line = ''; this.cursor = 0; this.st = In.None; }

  get inputLine(): string { return this.line; }

  /** feed console bytes; the prompt returns at the end, as one pass of Espruino's main loop */
  input(chars: string): void {
    for (let i = 0; i < chars.length; i++) this.handleChar(chars[i]);
    this.returnInputLine();
    this.flush();
  }

  private handleChar(ch: string): void {
    const c = ch.charCodeAt(0);
    if (c === 3) { // Ctrl-C: handled by the main loop: clear a non-empty line
      this.st = In.None;
      if (this.line !== '') {
        this.removeInputLine();
        this.line = '';
        this.cursor = 0;
      }
      return;
    }
    if (c === 0) { this.st = In.None; return; }
    if (c === 5) { // ENQ on an empty line: who are you
      if (this.line === '') this.out(this.host.enquiry().replace(/\n/g, '\r\n'));
      return;
    }
    if (c === 16) {
      if (this.line === '') this.echoOffForLine = true;
      this.st = In.Dle;
      return;
    }
    if (c === 27) { this.st = In.Esc; return; }
    if (this.st === In.Esc) {
      this.st = In.None;
      if (ch === 'O') this.st = In.EscO;
      else if (ch === '[') this.st = In.EscBracket;
      else if (ch === '\n') this.newLine(false);
      return;
    }
    if (this.st === In.EscO) {
      this.st = In.None;
      if (ch === 'F') this.end();
      else if (ch === 'H') this.home();
      return;
    }
    if (this.st === In.EscBracket) {
      this.st = In.None;
      if (/[0-9]/.test(ch)) { this.escNum = c - 48; this.st = In.EscNum; }
      else if (ch === 'D') this.left();
      else if (ch === 'C') this.right();
      else if (ch === 'F') this.end();
      else if (ch === 'H') this.home();
      // up/down walk the history or move between lines on a board; not emulated beyond the echo an
      // empty history gives
      else if ((ch === 'A' || ch === 'B') && this.show()) this.out('\x1b[' + ch);
      return;
    }
    if (this.st === In.EscNum) {
      if (/[0-9]/.test(ch)) { this.escNum = this.escNum * 10 + c - 48; return; }
      this.st = In.None;
      if (ch === 'H' && this.escNum === 2 && this.line !== '') { this.removeInputLine(); this.line = ''; this.cursor = 0; }
      else if (ch === '~') {
        if (this.escNum === 1) this.home();
        else if (this.escNum === 3) this.del(false);
        else if (this.escNum === 4) this.end();
      }
      return;
    }
    const hadR = this.st === In.HadR;
    this.st = In.None;
    if (c === 8 || c === 127) { this.del(true); return; }
    if (ch === '\n' && hadR) return;
    if (ch === '\r' || ch === '\n') {
      if (ch === '\r') this.st = In.HadR;
      this.newLine(true);
      return;
    }
    if (c >= 32 || ch === '\t') this.insert(ch === '\t' ? '    ' : ch);
  }

  private left(): void {
    if (this.cursor > 0 && this.line[this.cursor - 1] !== '\n') { this.cursor--; if (this.show()) this.out('\x1b[D'); }
  }
  private right(): void {
    if (this.cursor < this.line.length && this.line[this.cursor] !== '\n') { this.cursor++; if (this.show()) this.out('\x1b[C'); }
  }
  private home(): void {
    while (this.cursor > 0 && this.line[this.cursor - 1] !== '\n') { if (this.show()) this.out('\b'); this.cursor--; }
  }
  private end(): void {
    while (this.cursor < this.line.length && this.line[this.cursor] !== '\n') { if (this.show()) this.out(this.line[this.cursor]); this.cursor++; }
  }

  /** jsiAppendStringToInputLine */
  private insert(s: string): void {
    if (this.cursor >= this.line.length) {
      this.line += s;
    } else {
      this.line = this.line.slice(0, this.cursor) + s + this.line.slice(this.cursor);
      if (this.show()) this.out(this.restOfLine(this.cursor));
    }
    this.cursor += s.length;
    if (this.show()) this.out(s);
  }

  /** jsiHandleDelete */
  private del(backspace: boolean): void {
    const p0 = this.cursor;
    if (backspace && p0 === 0) return;
    if (!backspace && p0 >= this.line.length) return;
    const at = backspace ? p0 - 1 : p0;
    const deleteNewline = this.line[at] === '\n';
    if (deleteNewline && this.show()) {
      this.out('\x1b[J');
      if (backspace) this.out('\b ' + this.moveCursor(p0, p0 - 1));
    }
    this.line = this.line.slice(0, at) + this.line.slice(at + 1);
    if (backspace) this.cursor--;
    if (this.show()) {
      if (deleteNewline) {
        this.out(this.line.slice(this.cursor).replace(/\n/g, '\r\n:') + this.moveCursor(this.line.length, this.cursor));
      } else {
        this.out((backspace ? '\b' : '') + this.restOfLine(this.cursor));
      }
    }
  }

  private newLine(execute: boolean): void {
    if (!/^\s*$/.test(this.line.slice(this.cursor))) { // Enter inside the text: a line break there
      if (this.show()) this.out('\x1b[J');
      this.line = this.line.slice(0, this.cursor) + '\n' + this.line.slice(this.cursor);
      if (this.show()) this.out(this.line.slice(this.cursor).replace(/\n/g, '\r\n:') + this.moveCursor(this.line.length, this.cursor + 1));
      this.cursor++;
      return;
    }
    if (execute && countBrackets(this.line) <= 0) {
      if (this.show()) this.out('\r\n');
      if (!this.echoOffForLine) this.removed = true;
      const code = this.line.replace(/\s+$/, '');
      this.line = '';
      this.cursor = 0;
      this.flush();
      const r = this.host.execute(code);
      if (this.echo() && !r.error && code !== '') {
        this.out('=' + this.host.inspect(r.value).replace(/\n/g, '\r\n') + '\r\n');
      }
      this.echoOffForLine = false;
      this.flush();
      this.host.afterLine();
    } else {
      if (this.show()) this.out('\r\n:');
      this.line += '\n';
      this.cursor = this.line.length;
    }
  }
}
