/**
 * The node table: sortable (click a header; again to reverse), filterable (words must all match name,
 * id, role, firmware or state), and virtual: only the rows in view are in the DOM, so 1000 nodes cost
 * ~30 rows of DOM. The row list is re-sorted at most every REFRESH_MS, not per update.
 */
import type { NodeInfo } from '../mesh-feed.ts';
import { esc, fmtAgo, fmtDuration, nodeState, uptimeNow, type Model } from './model.ts';

const ROW_PX = 22;
const REFRESH_MS = 1000;

type Col = { key: string; title: string; tip?: string; value(m: Model, n: NodeInfo): number | string; show(m: Model, n: NodeInfo): string };

const num = (x: number | null | undefined): number => (x === null || x === undefined ? -Infinity : x);

const COLS: Col[] = [
  { key: 'name', title: 'name', value: (_, n) => n.name, show: (_, n) => esc(n.name) },
  { key: 'id', title: 'id', value: (_, n) => n.id, show: (_, n) => n.id },
  { key: 'role', title: 'role', value: (_, n) => n.role, show: (_, n) => n.role },
  { key: 'state', title: 'state', value: (m, n) => nodeState(m, n), show: (m, n) => { const s = nodeState(m, n); return `<b class="state-${s}">${s}</b>`; } },
  { key: 'uptime', title: 'uptime', value: (m, n) => num(uptimeNow(m, n)), show: (m, n) => fmtDuration(uptimeNow(m, n)) },
  { key: 'mem', title: 'free mem', tip: 'free memory (JsVars)', value: (_, n) => num(n.mem), show: (_, n) => (n.mem === null ? '–' : String(n.mem)) },
  { key: 'fw', title: 'fw', tip: 'firmware version', value: (_, n) => n.fw ?? '', show: (_, n) => esc(n.fw ?? '–') },
  { key: 'nb', title: 'nbrs', tip: 'usable neighbours', value: (_, n) => n.neighbours, show: (_, n) => String(n.neighbours) },
  { key: 'heard', title: 'heard', tip: 'last heard', value: (_, n) => num(n.lastHeard), show: (m, n) => fmtAgo(m, n.lastHeard) },
];

// one collator: localeCompare with options builds a new one per call (the cost of a 1000-row sort)
const natural = new Intl.Collator(undefined, { numeric: true });

function collate(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // natural order: n-2 before n-10
  return natural.compare(String(a), String(b));
}

export function createTable(root: HTMLElement, model: Model, onSelect: (id: string) => void, onCount: (shown: number, all: number) => void) {
  root.innerHTML = `<div class="t-head">${COLS.map((c) => `<span data-k="${c.key}" title="${c.tip ?? c.title}">${c.title}</span>`).join('')}</div>
    <div class="t-body"><div class="t-spacer"></div><div class="t-rows"></div></div>`;
  const head = root.querySelector('.t-head') as HTMLElement;
  const body = root.querySelector('.t-body') as HTMLElement;
  const spacer = root.querySelector('.t-spacer') as HTMLElement;
  const rowsEl = root.querySelector('.t-rows') as HTMLElement;
  let sortKey = 'name', desc = false, filter: string[] = [];
  let order: NodeInfo[] = [];
  let dirty = true, lastSort = 0;

  function resort(): void {
    const col = COLS.find((c) => c.key === sortKey)!;
    const list: NodeInfo[] = [];
    for (const n of model.nodes.values()) {
      if (filter.length) {
        const hay = `${n.name} ${n.id} ${n.role} ${n.fw ?? ''} ${nodeState(model, n)}`.toLowerCase();
        if (!filter.every((w) => hay.includes(w))) continue;
      }
      list.push(n);
    }
    const keyed = list.map((n) => ({ n, v: col.value(model, n) }));
    keyed.sort((a, b) => collate(a.v, b.v) || collate(a.n.name, b.n.name));
    if (desc) keyed.reverse();
    order = keyed.map((x) => x.n);
    lastSort = performance.now();
    onCount(order.length, model.nodes.size);
  }

  // row elements are reused, never replaced: a click that lands while the table repaints still hits its row
  const pool: { el: HTMLDivElement; cells: HTMLSpanElement[]; html: string[] }[] = [];
  function paint(): void {
    spacer.style.height = order.length * ROW_PX + 'px';
    const first = Math.max(0, Math.floor(body.scrollTop / ROW_PX) - 5);
    const last = Math.min(order.length, first + Math.ceil(body.clientHeight / ROW_PX) + 10);
    rowsEl.style.top = first * ROW_PX + 'px';
    const sel = model.selected?.kind === 'node' ? model.selected.id : '';
    while (pool.length < last - first) {
      const el = document.createElement('div');
      const cells = COLS.map(() => el.appendChild(document.createElement('span')));
      rowsEl.appendChild(el);
      pool.push({ el, cells, html: COLS.map(() => '') });
    }
    for (let k = 0; k < pool.length; k++) {
      const row = pool[k];
      const i = first + k;
      if (i >= last) { row.el.style.display = 'none'; continue; }
      // the record may have been replaced since the sort: show the latest one
      const n = model.nodes.get(order[i].id) ?? order[i];
      row.el.style.display = '';
      row.el.className = n.id === sel ? 't-row sel' : 't-row';
      row.el.dataset.id = n.id;
      for (let c = 0; c < COLS.length; c++) {
        const h = COLS[c].show(model, n);
        if (row.html[c] !== h) { row.html[c] = h; row.cells[c].innerHTML = h; }
      }
    }
  }

  head.addEventListener('click', (e) => {
    const k = (e.target as HTMLElement).dataset.k;
    if (!k) return;
    if (k === sortKey) desc = !desc; else { sortKey = k; desc = k === 'nb' || k === 'uptime' || k === 'mem' || k === 'heard'; }
    head.querySelectorAll('span').forEach((s) => { s.className = s.dataset.k === sortKey ? 'sorted' + (desc ? ' desc' : '') : ''; });
    resort();
    paint();
  });
  rowsEl.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest('.t-row') as HTMLElement | null;
    if (row?.dataset.id) onSelect(row.dataset.id);
  });
  body.addEventListener('scroll', () => paint(), { passive: true });
  head.querySelector('span')!.className = 'sorted';

  return {
    setFilter(s: string): void {
      filter = s.toLowerCase().split(/\s+/).filter(Boolean);
      resort();
      body.scrollTop = 0;
      paint();
    },
    /** something changed: re-sort and repaint, at most every REFRESH_MS */
    touch(): void { dirty = true; },
    tick(): void {
      if (dirty && performance.now() - lastSort >= REFRESH_MS) { dirty = false; resort(); }
      paint();
    },
    now(): void { resort(); paint(); },
    /** scroll a node into view */
    reveal(id: string): void {
      const i = order.findIndex((n) => n.id === id);
      if (i < 0) return;
      const top = i * ROW_PX;
      if (top < body.scrollTop || top > body.scrollTop + body.clientHeight - ROW_PX) body.scrollTop = Math.max(0, top - body.clientHeight / 2);
      paint();
    },
  };
}
