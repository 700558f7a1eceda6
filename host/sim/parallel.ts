/**
 * Run independent simulations on several cores: one worker thread per core, each running runSimulation
 * on the options it is handed (options are plain data; progress callbacks and observers do not cross
 * threads and are dropped). Results come back in the order of the input. A run is a pure function of its
 * options, so running in parallel changes nothing but the wall clock.
 *
 * Workers load the TypeScript through tsx's API (the same way bin/meshwork.mjs does).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { SimOptions } from './options.ts';
import type { SimResult } from './result.ts';

export async function runParallel(list: SimOptions[], opts: { workers?: number; onDone?: (i: number, r: SimResult) => void } = {}): Promise<SimResult[]> {
  const n = Math.max(1, Math.min(opts.workers ?? availableParallelism(), list.length));
  const out: SimResult[] = new Array(list.length);
  let next = 0;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { meshworkSimWorker: true } });
    const feed = (): void => {
      if (next >= list.length) { void w.terminate(); resolve(); return; }
      const i = next++;
      const { progress: _p, observer: _o, ...plain } = list[i];
      w.postMessage({ i, options: plain });
    };
    w.on('message', (m: { i: number; result?: SimResult; error?: string }) => {
      if (m.error !== undefined) { void w.terminate(); reject(new Error(m.error)); return; }
      out[m.i] = m.result!;
      opts.onDone?.(m.i, m.result!);
      feed();
    });
    w.on('error', reject);
    w.once('online', feed);
  });
  await Promise.all(Array.from({ length: n }, one));
  return out;
}

// worker side (only in the workers started above): run what the main thread posts
if (!isMainThread && parentPort && (workerData as { meshworkSimWorker?: boolean } | null)?.meshworkSimWorker) {
  const port = parentPort;
  const { runSimulation } = await import('./run.ts');
  port.on('message', (m: { i: number; options: SimOptions }) => {
    try {
      port.postMessage({ i: m.i, result: runSimulation(m.options) });
    } catch (e) {
      port.postMessage({ i: m.i, error: (e as Error).message });
    }
  });
}
