/**
 * Espruino's value printer (src/jswrap_json.c jsfGetJSONWithCallback, src/jsutils.c ftoa_bounded_extra and
 * escapeCharacter at c5ff787), ported so the emulated REPL prints `=value`, print() and console.log() text
 * byte for byte like the real interpreter for the values tests meet (numbers, strings, arrays, plain and
 * class objects, typed arrays, functions). Newlines come out as "\n": the console turns them into "\r\n".
 * Known gaps: function bodies print from V8's source text (Espruino re-prints its tokens), getters are hidden
 * as in C, Pins print as numbers.
 */

export const JSON_SOME_NEWLINES = 1;
export const JSON_ALL_NEWLINES = 2;
export const JSON_PRETTY = 4;
export const JSON_LIMIT = 8;
export const JSON_IGNORE_FUNCTIONS = 16;
export const JSON_SHOW_DEVICES = 32;
export const JSON_NO_UNDEFINED = 64;
export const JSON_SHOW_OBJECT_NAMES = 256;
export const JSON_DROP_QUOTES = 512;
const JSON_INDENT = 16384;

const JSON_LIMIT_AMOUNT = 15;
const JSON_LIMITED_AMOUNT = 5;
const JSON_LIMIT_STRING_AMOUNT = 60;
const JSON_LIMITED_STRING_AMOUNT = 27;
const JSON_ITEMS_ON_LINE_OBJECT = 4;
const JSON_LIMIT_TEXT = ' ... ';

/** REPL `=value` flags */
export const REPL_FLAGS = JSON_LIMIT | JSON_SOME_NEWLINES | JSON_PRETTY | JSON_SHOW_DEVICES | JSON_SHOW_OBJECT_NAMES | JSON_DROP_QUOTES;
/** print()/console.log() flags for non-strings */
export const PRINT_FLAGS = JSON_PRETTY | JSON_SOME_NEWLINES | JSON_SHOW_OBJECT_NAMES;

/** objects carrying this key print as their device name (Serial1, USB, ...) */
export const DEVICE_NAME = Symbol('espruino-device');
/** objects carrying this key print as a native function (built-in library objects such as Storage) */
export const NATIVE_OBJECT = Symbol('espruino-native');

const itoch = (v: number) => (v < 10 ? String.fromCharCode(48 + v) : String.fromCharCode(97 + v - 10));

/** ftoa_bounded_extra(val, radix 10, fractionalDigits -1): Espruino's number → text */
export function espruinoNumber(val: number): string {
  if (Number.isNaN(val)) return 'NaN';
  if (!Number.isFinite(val)) return val < 0 ? '-Infinity' : 'Infinity';
  if (Number.isInteger(val) && Math.abs(val) <= 0x7fffffff) return String(val === 0 ? 0 : val);
  let s = '';
  if (val < 0) { s = '-'; val = -val; }
  const stopAtError = 0.0000001;
  let exponent = 0;
  if (val > 0) {
    if (val >= 1e21) {
      while (val > 100000) { val /= 100000; exponent += 5; }
      while (val > 10) { val /= 10; exponent++; }
    } else if (val < 1e-6) {
      while (val < 1e-5) { val *= 100000; exponent -= 5; }
      while (val < 1) { val *= 10; exponent--; }
    }
  }
  // JsVarInt casts are 32-bit on the ESP32-like builds; values that large are integers here anyway
  if (Math.floor(val + stopAtError) === 1 + Math.floor(val)) val = 1 + Math.floor(val);
  let d = 1;
  while (d * 10 <= val) d *= 10;
  while (d >= 1) {
    const v = Math.floor(val / d);
    val -= v * d;
    s += itoch(v);
    d /= 10;
  }
  if (val > 0) {
    let frac = -1;
    let hasPt = false;
    val *= 10;
    while (frac > -12 && val > stopAtError) {
      let v = Math.floor(val + 0.00000001);
      val = (val - v) * 10;
      if (v === 10) v = 9;
      if (!hasPt) { hasPt = true; s += '.'; }
      s += itoch(v);
      frac--;
    }
  }
  if (exponent) s += 'e' + (exponent > 0 ? '+' : '') + exponent;
  return s;
}

function hex2(n: number): string { return '0123456789ABCDEF'[(n >> 4) & 15] + '0123456789ABCDEF'[n & 15]; }

/** escapeCharacter(), 8-bit strings, non-JSON style */
export function quoteString(str: string): string {
  let out = '"';
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    const next = i + 1 < str.length ? str.charCodeAt(i + 1) : -1;
    if (ch === 10) out += '\\n';
    else if (ch === 9) out += '\\t';
    else if (ch === 8) out += '\\b';
    else if (ch === 11) out += '\\v';
    else if (ch === 12) out += '\\f';
    else if (ch === 13) out += '\\r';
    else if (ch === 92) out += '\\\\';
    else if (ch === 34) out += '\\"';
    else if (ch < 8 && (next < 48 || next > 55)) out += '\\' + ch;
    else if (ch < 32 || ch >= 127) out += ch > 255 ? '\\u' + hex2(ch >> 8) + hex2(ch) : '\\x' + hex2(ch);
    else out += str[i];
  }
  return out + '"';
}

const isIdString = (s: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s);
const isIntegerish = (s: string) => /^-?[0-9]+$/.test(s);
const tag = (v: unknown) => Object.prototype.toString.call(v).slice(8, -1);

function needsNewLine(v: unknown): boolean {
  return !(v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean');
}

/** the name a global holds for this constructor, as jsvGetIndexOf(root, constr) */
type RootLookup = (ctor: unknown) => string | undefined;

/**
 * `isNative(fn)`: whether a function is one of Espruino's built-ins (prints "{ [native code] }"); the env
 * says yes for functions made outside the node's vm context (the emulation's own).
 */
export function espruinoInspect(value: unknown, flags: number, rootName: RootLookup = () => undefined,
  isNative: (fn: unknown) => boolean = () => false): string {
  let out = '';
  const seen = new Set<unknown>();
  const emit = (s: string) => { out += s; };
  const newLine = (f: number) => { emit('\n'); let n = Math.floor(f / JSON_INDENT); while (n-- > 0) emit('  '); };

  function objectItems(keys: string[], obj: Record<string, unknown>, f: number, nf: number, first: boolean): boolean {
    let needNewLine = false;
    let sinceNewLine = 0;
    for (const k of keys) {
      const desc = Object.getOwnPropertyDescriptor(obj, k);
      if (!desc || desc.get || desc.set) continue;
      const item = desc.value;
      if ((f & JSON_IGNORE_FUNCTIONS) && typeof item === 'function') continue;
      if ((f & JSON_NO_UNDEFINED) && item === undefined) continue;
      sinceNewLine++;
      if (!first) emit(f & JSON_PRETTY ? ', ' : ',');
      let newNeeds = !!(f & JSON_SOME_NEWLINES) && needsNewLine(item);
      if ((f & JSON_SOME_NEWLINES) && sinceNewLine > JSON_ITEMS_ON_LINE_OBJECT) needNewLine = true;
      if (f & JSON_ALL_NEWLINES) { needNewLine = true; newNeeds = true; }
      if (needNewLine || newNeeds) { newLine(nf); needNewLine = false; sinceNewLine = 0; }
      const bare = (f & JSON_DROP_QUOTES) && (isIntegerish(k) || (k.length < 63 && isIdString(k)));
      emit((bare ? k : quoteString(k)) + (f & JSON_PRETTY ? ': ' : ':'));
      first = false;
      walk(item, nf);
      needNewLine = newNeeds;
    }
    return needNewLine;
  }

  function walk(v: unknown, f: number): void {
    const nf = f + JSON_INDENT;
    if (v === undefined) { emit(f & JSON_NO_UNDEFINED ? 'null' : 'undefined'); return; }
    if (v === null) { emit('null'); return; }
    if (typeof v === 'number') { emit(espruinoNumber(v)); return; }
    if (typeof v === 'boolean') { emit(String(v)); return; }
    if (typeof v === 'string') {
      if ((f & JSON_LIMIT) && v.length > JSON_LIMIT_STRING_AMOUNT) {
        emit(quoteString(v.slice(0, JSON_LIMITED_STRING_AMOUNT)) + JSON_LIMIT_TEXT + quoteString(v.slice(v.length - JSON_LIMITED_STRING_AMOUNT)));
      } else emit(quoteString(v));
      return;
    }
    if (typeof v === 'function') {
      if (f & JSON_IGNORE_FUNCTIONS) { emit('undefined'); return; }
      emit('function ' + (isNative(v) ? '() { [native code] }' : functionText(v as (...a: unknown[]) => unknown, nf)));
      return;
    }
    if (typeof v !== 'object') { emit(String(v)); return; }
    if (seen.has(v)) { emit(JSON_LIMIT_TEXT); return; }
    seen.add(v);
    try {
      if (Array.isArray(v)) walkArray(v, f, nf);
      else if (ArrayBuffer.isView(v) || tag(v) === 'ArrayBuffer') walkBuffer(v, f);
      else walkObject(v as Record<string | symbol, unknown>, f, nf);
    } finally {
      seen.delete(v);
    }
  }

  function walkArray(a: unknown[], f: number, nf: number): void {
    const length = a.length;
    const limited = (f & JSON_LIMIT) && length > JSON_LIMIT_AMOUNT;
    let needNewLine = false;
    emit(f & JSON_PRETTY ? '[ ' : '[');
    let first = true;
    for (let i = 0; i < length; i++) {
      if (limited && !(i < JSON_LIMITED_AMOUNT || i >= length - JSON_LIMITED_AMOUNT)) continue;
      const item = a[i];
      if (!first) emit(f & JSON_PRETTY ? ', ' : ',');
      first = false;
      if (limited && i === length - JSON_LIMITED_AMOUNT) emit(JSON_LIMIT_TEXT);
      let newNeeds = !!(f & JSON_SOME_NEWLINES) && needsNewLine(item);
      if (f & JSON_ALL_NEWLINES) { needNewLine = true; newNeeds = true; }
      if (needNewLine || newNeeds) { newLine(nf); needNewLine = false; }
      if (i in a) walk(item, nf);
      else emit(f & JSON_NO_UNDEFINED ? 'null' : 'undefined');
      needNewLine = newNeeds;
    }
    if (f & JSON_PRETTY) {
      const extra = Object.keys(a).filter((k) => !isIntegerish(k));
      if (extra.length && objectItems(extra, a as unknown as Record<string, unknown>, f, nf, first)) needNewLine = true;
    }
    if (needNewLine) newLine(f);
    emit(f & JSON_PRETTY ? ' ]' : ']');
  }

  function walkBuffer(v: object, f: number): void {
    const isAB = tag(v) === 'ArrayBuffer';
    const name = isAB ? 'Uint8Array' : tag(v);
    const arr: ArrayLike<number | bigint> = isAB ? new Uint8Array(v as ArrayBuffer)
      : tag(v) === 'DataView' ? new Uint8Array((v as DataView).buffer, (v as DataView).byteOffset, (v as DataView).byteLength)
      : (v as unknown as ArrayLike<number>);
    let allZero = true;
    for (let i = 0; i < arr.length; i++) if (Number(arr[i]) !== 0) { allZero = false; break; }
    if (allZero) { emit(`new ${isAB ? 'ArrayBuffer' : tag(v)}(${arr.length})`); return; }
    emit(`new ${name}([`);
    const length = arr.length;
    const limited = (f & JSON_LIMIT) && length > JSON_LIMIT_AMOUNT;
    for (let i = 0; i < length; i++) {
      if (limited && !(i < JSON_LIMITED_AMOUNT || i >= length - JSON_LIMITED_AMOUNT)) continue;
      if (i > 0) emit(f & JSON_PRETTY ? ', ' : ',');
      if (limited && i === length - JSON_LIMITED_AMOUNT) emit(JSON_LIMIT_TEXT);
      emit(espruinoNumber(Number(arr[i])));
    }
    emit('])');
    if (isAB) emit('.buffer');
  }

  function walkObject(o: Record<string | symbol, unknown>, f: number, nf: number): void {
    if ((f & JSON_SHOW_DEVICES) && typeof o[DEVICE_NAME] === 'string') { emit(o[DEVICE_NAME] as string); return; }
    if (o[NATIVE_OBJECT]) { emit('function () { [native code] }'); return; }
    if (f & JSON_SHOW_OBJECT_NAMES) {
      const proto = Object.getPrototypeOf(o);
      // Espruino stores __proto__ only for objects made with `new`: plain objects have none
      const plain = proto === null || Object.getPrototypeOf(proto) === null;
      if (!plain && typeof o[DEVICE_NAME] !== 'string') {
        const name = rootName(proto.constructor);
        if (name) {
          emit(name + ': ');
          const ts = o.toString as unknown;
          if (typeof ts === 'function' && ts !== rootObjectProto(o).toString) {
            emit(String((ts as () => unknown).call(o)));
            return;
          }
        }
      }
    }
    emit(f & JSON_PRETTY ? '{ ' : '{');
    const needNewLine = objectItems(Object.keys(o), o as Record<string, unknown>, f, nf, true);
    if (needNewLine) newLine(f);
    emit(f & JSON_PRETTY ? ' }' : '}');
  }

  walk(value, flags);
  return out;
}

// the Object.prototype of the object's own realm (a vm context has its own)
function rootObjectProto(o: object): { toString?: unknown } {
  let p: object = o;
  for (;;) {
    const n = Object.getPrototypeOf(p);
    if (n === null) return p as { toString?: unknown };
    p = n;
  }
}

/** "(a,b) { ... }" as Espruino prints a function (JSON_LIMIT hides the body) */
function functionText(fn: (...a: unknown[]) => unknown, f: number): string {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) {
    return '(' + ') { [native code] }';
  }
  const m = /^[^(]*\(([^)]*)\)\s*(?:=>\s*)?/.exec(src) ?? /^\s*([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  const params = m ? m[1].split(',').map((p) => p.trim()).filter(Boolean).join(',') : '';
  if (f & JSON_LIMIT) return `(${params}) {${JSON_LIMIT_TEXT}}`;
  const open = src.indexOf('{');
  const body = open >= 0 ? src.slice(open + 1, src.lastIndexOf('}')).trim() : 'return ' + src.slice(src.indexOf('=>') + 2).trim();
  return `(${params}) ` + (body.includes('\n') ? `{\n  ${body}\n}` : `{${body}}`);
}
