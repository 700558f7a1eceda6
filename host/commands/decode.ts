/**
 * `meshwork decode FRAME [--key FILE] [--json]`: the packet inspector. FRAME is hex or base64 (or `-` to
 * read one frame per line from stdin). Exit 0: decoded, and verified when a key was given; 1: the frame is
 * malformed or fails verification; 2: bad usage (unreadable input or key file).
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { readKeyFile, type KeyFile } from '../keyfile.ts';
import { formatReport, inspectFrame, parseFrameText } from '../frame-inspector.ts';

export function register(program: Command): void {
  program.command('decode')
    .description('decode a captured frame: header, tag checks and (with the key) the payload')
    .argument('<frame>', 'the frame as hex or base64, or - to read frames from stdin, one per line')
    .option('-k, --key <file>', 'network key file: verify both tags and decrypt the payload')
    .option('--json', 'print one JSON object per frame')
    .action((frameArg: string, o: { key?: string; json?: boolean }) => {
      let keyFile: KeyFile | undefined;
      if (o.key) {
        const r = readKeyFile(o.key);
        if (!r.ok) { process.stderr.write(`meshwork decode: ${r.reason}\n`); process.exit(2); }
        if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
        keyFile = r.value;
      }
      const inputs = frameArg === '-' ? readFileSync(0, 'utf8').split('\n').filter((l) => l.trim()) : [frameArg];
      let code = 0;
      for (const text of inputs) {
        const p = parseFrameText(text);
        if (!p.ok) { process.stderr.write(`meshwork decode: cannot read the frame: ${p.reason}\n`); code = Math.max(code, 2); continue; }
        const rep = inspectFrame(p.bytes, keyFile);
        process.stdout.write((o.json ? JSON.stringify(rep, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) : formatReport(rep)) + '\n');
        const bad = rep.decode !== 'ok' || (keyFile && (rep.headerTag !== 'ok' || rep.frameTag !== 'ok'));
        if (bad) code = Math.max(code, 1);
      }
      process.exit(code);
    });
}
