/**
 * Re-records the expected transcripts in repl-cases.ts from a real interpreter:
 *   ESPRUINO_BIN=/opt/espruino/espruino npx tsx test/emulation/record-repl-cases.ts
 * Steps are kept; each case's `expected` is replaced by what the interpreter printed (normalized). Review the
 * diff: a changed expectation means Espruino (or the timing of a step) changed, not the emulation.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REPL_CASES } from './repl-cases.ts';
import { normalizeTranscript, realTranscript } from './repl-transcript.ts';

const bin = process.env.ESPRUINO_BIN;
if (!bin) {
  console.error('set ESPRUINO_BIN to an Espruino Linux build');
  process.exit(2);
}
const file = fileURLToPath(new URL('./repl-cases.ts', import.meta.url));
const q = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
const lines: string[] = [];
for (const c of REPL_CASES) {
  const r = await realTranscript(bin, c.steps);
  lines.push('  {', `    name: ${q(c.name)},`, '    steps: [');
  for (const s of c.steps) lines.push(`      [${s.map((x) => (typeof x === 'string' ? q(x) : String(x))).join(', ')}],`);
  lines.push('    ],', '    expected: [');
  for (const o of r.output) lines.push(`      ${q(normalizeTranscript(o))},`);
  lines.push('    ],', '  },');
  console.error(`recorded: ${c.name}`);
}
const src = readFileSync(file, 'utf8');
const at = src.indexOf('export const REPL_CASES: ReplCase[] = [');
writeFileSync(file, src.slice(0, at) + 'export const REPL_CASES: ReplCase[] = [\n' + lines.join('\n') + '\n];\n');
