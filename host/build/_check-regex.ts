/**
 * Regular expressions Espruino 2v29 gets wrong, measured on the Linux build (ESP32 layout). Most failures
 * are silent (`test()` returns false, `match()` null), so a pattern is accepted only if every part of it is
 * in the measured-good set:
 *   literals, `.`, `^`, `$`, `|`, one level of capture group `( )` without a quantifier after it,
 *   character classes `[...]` / `[^...]` with ranges, greedy `* + ?`,
 *   escapes \d \D \w \W \s \S \n \t \r \f \v \0 \xHH and escaped punctuation; flags g and i.
 * Measured broken: `(?:` `(?=` `(?!` (false), lookbehind and named groups (newer syntax), backreferences
 * (throws), lazy `*? +? ??` (null), counted `{2}` `{2,3}` (false), `\b` `\B` `\cX` `\uXXXX` (false),
 * a quantified group `(ab)+` `(a)?` (null / wrong), nested groups (wrong captures), flags m (false), s
 * (not parsed) and y u d v (ESPRUINO.md; esbuild marks them unsupported).
 * Not checked: anchors mixed into a top-level alternation (`^a|b$` measured false; `^a|^b` true).
 */

const CLASS_ESCAPES = 'dDwWsSntrfv0b'; // \b inside a class is a backspace (measured fine)
const ATOM_ESCAPES = 'dDwWsSntrfv0';
const BROKEN_ESCAPES: Record<string, string> = {
  b: 'word boundary \\b', B: '\\B', c: 'control escape \\cX', u: 'unicode escape \\u', p: 'unicode property \\p',
  P: 'unicode property \\P', k: 'named backreference \\k',
};

/** Problems Espruino has with this pattern and flags; empty when it is in the measured-good subset. */
export function regexProblems(pattern: string, flags: string): string[] {
  const problems: string[] = [];
  for (const f of flags) if (f !== 'g' && f !== 'i') problems.push(`flag "${f}"`);
  let depth = 0;
  let i = 0;
  const escape = (inClass: boolean): void => {
    const c = pattern[i + 1] ?? '';
    if (c === 'x') { i += 4; return; }
    if (/[1-9]/.test(c)) problems.push(`backreference \\${c}`);
    else if (BROKEN_ESCAPES[c] && !(inClass && c === 'b')) problems.push(BROKEN_ESCAPES[c]);
    else if (/[A-Za-z]/.test(c) && !(inClass ? CLASS_ESCAPES : ATOM_ESCAPES).includes(c)) problems.push(`escape \\${c}`);
    i += 2;
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') { escape(false); continue; }
    if (c === '[') {
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i] === '\\') escape(true);
        else i++;
      }
      i++;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2, i + 4);
        if (rest.startsWith(':')) problems.push('non-capturing group (?:');
        else if (rest.startsWith('=') || rest.startsWith('!')) problems.push('lookahead (?' + rest[0]);
        else if (rest === '<=' || rest === '<!') problems.push('lookbehind (?' + rest);
        else if (rest.startsWith('<')) problems.push('named group (?<');
        else problems.push('group (?' + rest[0]);
      }
      if (depth > 0) problems.push('nested group');
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth = Math.max(0, depth - 1);
      const q = pattern[i + 1];
      if (q === '*' || q === '+' || q === '?' || q === '{') problems.push('quantified group )' + q);
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (pattern[i + 1] === '?') { problems.push('lazy quantifier ' + c + '?'); i++; }
      i++;
      continue;
    }
    if (c === '{') {
      const m = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (m) { problems.push('counted quantifier ' + m[0]); i += m[0].length; continue; }
    }
    i++;
  }
  return [...new Set(problems)];
}
