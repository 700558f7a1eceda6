/**
 * The page's files: host/web/page/main.ts (and the cytoscape, uPlot and CSS it imports) bundled by esbuild
 * when a dashboard starts, kept in memory for the server and also written to dist/web/ (not committed) so
 * the bundle can be looked at. One build per process: later dashboards reuse it.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PageFiles {
  /** path ('/index.html', '/app.js', …) → contents */
  files: Map<string, { type: string; body: Buffer }>;
  buildMs: number;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
export const DIST_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml',
};

let cached: Promise<PageFiles> | null = null;

async function bundle(): Promise<PageFiles> {
  const t0 = performance.now();
  const r = await build({
    entryPoints: { app: PAGE_DIR + 'main.ts' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020',
    // MESHWORK_WEB_DEBUG=1: readable bundle (profiling the page)
    minify: !process.env.MESHWORK_WEB_DEBUG, sourcemap: 'linked', write: false, outdir: DIST_DIR, logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const f of r.outputFiles) {
    const name = '/' + f.path.slice(DIST_DIR.length).replace(/\\/g, '/');
    files.set(name, { type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream', body: Buffer.from(f.contents) });
  }
  files.set('/index.html', { type: TYPES['.html'], body: readFileSync(PAGE_DIR + 'index.html') });
  try {
    mkdirSync(DIST_DIR, { recursive: true });
    // write-then-rename: two dashboards starting at once never leave a half-written file
    for (const [name, f] of files) {
      const tmp = `${DIST_DIR}${name.slice(1)}.${process.pid}.tmp`;
      writeFileSync(tmp, f.body);
      renameSync(tmp, DIST_DIR + name.slice(1));
    }
  } catch { /* a read-only checkout still serves from memory */ }
  return { files, buildMs: Math.round(performance.now() - t0) };
}

/** The bundled page (built on first call). */
export function pageFiles(): Promise<PageFiles> {
  if (!cached) {
    cached = bundle();
    cached.catch(() => { cached = null; });
  }
  return cached;
}
