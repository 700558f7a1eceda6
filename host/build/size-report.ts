/**
 * Bundle sizes against the board budgets (boards/*.ts budgets.bundleBytes). Bytes are what is stored in
 * flash and parsed by the interpreter; gzip bytes (level 9) are shown as a measure of how much of the
 * size is repetition the minifier could not remove.
 */
import { gzipSync } from 'node:zlib';

export interface SizeRow {
  board: string;
  /** null when the board did not build */
  bytes: number | null;
  gzipBytes: number | null;
  budget: number;
  /** bytes as a percentage of the budget, one decimal */
  percent: number | null;
  over: boolean;
  /** 'ok' | 'over budget' | 'failed: …' */
  status: string;
}

export function gzipSize(code: string): number {
  return gzipSync(Buffer.from(code, 'utf8'), { level: 9 }).length;
}

export function sizeRow(board: string, code: string | null, budget: number, failure?: string): SizeRow {
  if (code === null) {
    return { board, bytes: null, gzipBytes: null, budget, percent: null, over: false, status: 'failed: ' + (failure ?? 'no bundle') };
  }
  const bytes = Buffer.byteLength(code, 'utf8');
  const over = bytes > budget;
  const status = failure ? 'failed: ' + failure : over ? 'over budget' : 'ok';
  return { board, bytes, gzipBytes: gzipSize(code), budget, percent: Math.round((bytes / budget) * 1000) / 10, over, status };
}

const COLUMNS: { title: string; cell: (r: SizeRow) => string; left?: boolean }[] = [
  { title: 'board', cell: (r) => r.board, left: true },
  { title: 'bytes', cell: (r) => (r.bytes === null ? '-' : String(r.bytes)) },
  { title: 'gzip', cell: (r) => (r.gzipBytes === null ? '-' : String(r.gzipBytes)) },
  { title: 'budget', cell: (r) => String(r.budget) },
  { title: 'used', cell: (r) => (r.percent === null ? '-' : r.percent.toFixed(1) + '%') },
  { title: 'status', cell: (r) => r.status, left: true },
];

/** A fixed-width text table, one row per board. */
export function formatSizeTable(rows: readonly SizeRow[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]): string =>
    vals.map((v, i) => (COLUMNS[i].left ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  return [line(COLUMNS.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
