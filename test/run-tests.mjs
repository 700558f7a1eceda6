#!/usr/bin/env node
// Runs vitest (all suites, or the paths given) and ends with one plain summary line
// "tests: N passed, N failed, N skipped" so any CI can read the outcome. Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';

mkdirSync('test-artifacts', { recursive: true });
const out = 'test-artifacts/vitest.json';
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit' });
let passed = 0, failed = 0, skipped = 0;
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  passed = j.numPassedTests; failed = j.numFailedTests; skipped = j.numPendingTests + (j.numTodoTests || 0);
  if (j.numFailedTestSuites && !failed) failed = j.numFailedTestSuites;
} catch (e) {
  console.error('run-tests: no vitest report was written:', e.message);
  process.exit(r.status || 1);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
