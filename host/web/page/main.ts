/**
 * The dashboard page: wires the WebSocket (conn.ts) to the model and the views (graph, table, packet
 * log, selection card, charts, send form). Server batches arrive at most a few times a second; each is
 * applied in one pass, views that need sorting or re-rendering do it on a 1 s tick.
 *
 * window.__mw exposes the graph and a few figures (first render time, batch apply times) for the tests
 * and for anyone curious; nothing on the page depends on it.
 */
import './style.css';
import type { CommandResult, MeshCommand, NodeInfo, TraceResult } from '../mesh-feed.ts';
import type { NodeHistory } from '../_history.ts';
import { connect, type Batch, type Hello } from './conn.ts';
import { createModel, nodeState, putLink, type NodeState } from './model.ts';
import { createGraph } from './graph.ts';
import { createTable } from './table.ts';
import { createPacketLog } from './packets.ts';
import { createDetails } from './details.ts';
import { createCharts } from './charts.ts';
import { createForm } from './form.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const stats = { firstRenderMs: -1, hellos: 0, batches: 0, lastApplyMs: 0, maxApplyMs: 0, nodesInBatches: 0, linksInBatches: 0, packets: 0 };
const model = createModel();
const shownState = new Map<string, NodeState>();

const graph = createGraph($('graph'), {
  node: (id) => select({ kind: 'node', id }, true),
  link: (key) => select({ kind: 'link', key }, false),
  background: () => select(null, false),
});
const table = createTable($('table'), model, (id) => select({ kind: 'node', id }, false), (shown, all) => {
  $('table-count').textContent = shown === all ? `${all} nodes` : `${shown} of ${all} nodes`;
});
const log = createPacketLog($('log'), model, (s) => { $('log-count').textContent = s; });
const details = createDetails($('details'), model);
const conn = connect({ hello: onHello, batch: onBatch, state: (open) => { const c = $('conn'); c.textContent = open ? 'live' : 'offline'; c.className = 'pill ' + (open ? 'on' : 'off'); } });
const charts = createCharts($('charts'), async (id) => {
  const r = await conn.request<{ h?: NodeHistory }>({ t: 'history', id });
  return r.h ?? null;
});
const send = async (c: MeshCommand): Promise<CommandResult> => (await conn.request<{ result: CommandResult }>({ t: 'cmd', cmd: c })).result;
const form = createForm(model, send, (r) => showTrace(r.trace ?? null));

function select(s: typeof model.selected, fromGraph: boolean): void {
  model.selected = s;
  graph.select(s === null ? null : s.kind === 'node' ? s.id : 'l' + s.key);
  details.render();
  if (s?.kind === 'node') {
    charts.show(s.id);
    form.prefill(s.id);
    $('chart-node').textContent = model.nodes.get(s.id)?.name ?? s.id;
    if (fromGraph) table.reveal(s.id);
  }
  table.tick();
  log.selectionChanged();
}

function showTrace(t: TraceResult | null): void {
  graph.trace(t);
  details.trace(t);
}

function graphNodes(list: NodeInfo[]): void {
  const changed: { n: NodeInfo; st: NodeState }[] = [];
  for (const n of list) {
    const st = nodeState(model, n);
    changed.push({ n, st });
    shownState.set(n.id, st);
  }
  graph.nodes(changed);
}

function onHello(m: Hello): void {
  stats.hellos++;
  model.info = m.info;
  model.skew = m.now - Date.now();
  model.nodes.clear();
  model.links.clear();
  model.adj.clear();
  shownState.clear();
  for (const n of m.nodes) model.nodes.set(n.id, n);
  for (const l of m.links) putLink(model, l);
  $('feed-name').textContent = m.info.name;
  document.title = `Meshwork: ${m.info.name}`;
  graph.reset(m.nodes);
  graphNodes(m.nodes);
  graph.links(m.links);
  if (stats.firstRenderMs < 0 && m.nodes.length > 0) {
    // first frame painted with every node of the snapshot: the figure the 1000-node test reports
    graph.cy.one('render', () => requestAnimationFrame(() => { stats.firstRenderMs = Math.round(performance.now()); }));
  }
  log.reset(m.packets);
  if (m.traces.length) showTrace(m.traces[m.traces.length - 1]);
  form.refreshNames();
  table.now();
  status();
}

function onBatch(m: Batch): void {
  const t0 = performance.now();
  model.skew = m.now - Date.now();
  for (const n of m.nodes) model.nodes.set(n.id, n);
  for (const l of m.links) putLink(model, l);
  graphNodes(m.nodes);
  graph.links(m.links);
  log.add(m.packets, m.dropped, m.now);
  if (m.traces.length) showTrace(m.traces[m.traces.length - 1]);
  if (m.nodes.length) table.touch();
  const dt = performance.now() - t0;
  stats.batches++;
  stats.lastApplyMs = Math.round(dt * 10) / 10;
  stats.maxApplyMs = Math.max(stats.maxApplyMs, stats.lastApplyMs);
  stats.nodesInBatches += m.nodes.length;
  stats.linksInBatches += m.links.length;
  stats.packets += m.packets.length;
}

function status(): void {
  let up = 0, down = 0, stale = 0, gw = 0;
  for (const n of model.nodes.values()) {
    const s = nodeState(model, n);
    if (s === 'down') down++; else if (s === 'stale') stale++; else up++;
    if (n.role === 'gateway' && s !== 'down') gw++;
  }
  $('status').textContent = `${model.nodes.size} nodes: ${up} up${stale ? `, ${stale} silent` : ''}, ${down} down · ${gw} gateway${gw === 1 ? '' : 's'} · ${model.links.size} links`;
}

// once a second: silent nodes turn orange, the table re-sorts, the selection card and header refresh
setInterval(() => {
  const flip: NodeInfo[] = [];
  for (const n of model.nodes.values()) if (shownState.get(n.id) !== nodeState(model, n)) flip.push(n);
  if (flip.length) graphNodes(flip);
  graph.tick();
  table.tick();
  if (model.selected) details.render();
  form.refreshNames();
  status();
}, 1000);

$('filter').addEventListener('input', (e) => table.setFilter((e.target as HTMLInputElement).value));
$('log-selected').addEventListener('change', (e) => log.setOnlySelected((e.target as HTMLInputElement).checked));
$('log-pause').addEventListener('change', (e) => log.setPaused((e.target as HTMLInputElement).checked));
$('fit').addEventListener('click', () => graph.fit());
$('relayout').addEventListener('click', () => graph.relayout());
$('clear-trace').addEventListener('click', () => showTrace(null));

declare global { interface Window { __mw: unknown } }
window.__mw = { cy: graph.cy, model, stats, select: (id: string) => select({ kind: 'node', id }, true) };
