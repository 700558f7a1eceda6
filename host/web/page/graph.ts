/**
 * The topology graph (cytoscape). Built for 1000 nodes and thousands of links:
 *  - preset positions only: nodes sit where the source says (metres, scaled to the view once) and nodes
 *    without a position go on a spiral; a force layout runs only when the user asks ("lay out");
 *  - updates are applied in one cy.batch() per server batch, and an element is touched only when what it
 *    shows changed (state, role, name, quality bucket), never for a counter or a timestamp;
 *  - haystack edges, edges hidden while panning/zooming, labels only when zoomed in enough to read.
 * Colours: up teal, gateway blue diamond, silent orange, down red; links red → green by quality (the worse
 * direction), grey when unknown; a traceroute is drawn in orange over the links it used.
 */
import cytoscape from 'cytoscape';
import type { LinkInfo, NodeInfo, TraceResult } from '../mesh-feed.ts';
import { keyOf, type NodeState } from './model.ts';

export interface GraphHandlers {
  node(id: string): void;
  link(key: string): void;
  background(): void;
}

const QUALITY = ['#d62828', '#f08a24', '#a3b93b', '#2a9d8f'];
/** meshes up to this size label every node */
const LABEL_ALL = 200;
/** link changes are drawn at most this often: on a CPU-rendered canvas a redraw of thousands of edges
 *  costs a tenth of a second, and links change all the time while node deaths must show at once */
const LINK_FLUSH_MS = 3000;

/** quality bucket of a link: 0 bad (< 50 %), 1 poor (< 80 %), 2 fair (< 95 %), 3 good; -1 unknown */
export function bucket(l: LinkInfo): number {
  const q = l.qualityAB === null ? l.qualityBA : l.qualityBA === null ? l.qualityAB : Math.min(l.qualityAB, l.qualityBA);
  if (q === null) return -1;
  return q < 0.5 ? 0 : q < 0.8 ? 1 : q < 0.95 ? 2 : 3;
}

/** ?webgl=1 in the URL: cytoscape's (experimental) WebGL renderer, for a browser with a real GPU. Off by
 *  default: on Chromium's software GL (SwiftShader, no GPU) it measured no faster than the 2D canvas. */
function webglWanted(): boolean {
  if (new URLSearchParams(location.search).get('webgl') !== '1') return false;
  try { return !!document.createElement('canvas').getContext('webgl2'); } catch { return false; }
}

export function createGraph(container: HTMLElement, h: GraphHandlers) {
  const webgl = webglWanted();
  const cy = cytoscape({
    container,
    webgl,
    layout: { name: 'preset' },
    minZoom: 0.05, maxZoom: 8, wheelSensitivity: 0.3,
    textureOnViewport: false, hideEdgesOnViewport: true, motionBlur: false, pixelRatio: 1,
    boxSelectionEnabled: false, selectionType: 'single',
    // positions come from the source: no dragging, so a press never sets up the drag layers
    autoungrabify: true,
  });
  let scale = 0, ox = 0, oy = 0, spiral = 0, fitted = false;
  let size = 12;

  function styleFor(n: number): void {
    // node size from the spacing nodes get in the unit box: readable at 10 nodes, not a carpet at 1000
    size = Math.max(4, Math.min(28, 0.32 * Math.sqrt((1000 * 700) / Math.max(1, n))));
    const font = Math.max(4, size * 0.8);
    // labels cost a text measure per node per redraw: in a big mesh only the nodes that matter get one
    const labels = n <= LABEL_ALL;
    const s: cytoscape.StylesheetJson = [
      { selector: 'node', style: {
        'background-color': '#2a9d8f', width: size, height: size, label: labels ? 'data(label)' : '', 'font-size': labels ? font : font * 2.5,
        'min-zoomed-font-size': 9, 'text-valign': 'bottom', 'text-margin-y': size * 0.15, color: '#1d2433',
        'text-outline-color': '#fff', 'text-outline-width': font * 0.12, 'border-width': 0,
      } },
      { selector: 'node[gw = 1]', style: { shape: 'diamond', 'background-color': '#3a5bd9', width: size * 2, height: size * 2, 'z-index': 5 } },
      { selector: 'node[st = "stale"]', style: { 'background-color': '#f59e0b' } },
      { selector: 'node[st = "down"]', style: { 'background-color': '#e02424', 'z-index': 6, width: size * 1.6, height: size * 1.6 } },
      { selector: 'node[gw = 1][st = "down"]', style: { width: size * 2, height: size * 2 } },
      { selector: 'node[gw = 1], node[st = "down"], node:selected, node.trace', style: { label: 'data(label)' } },
      // no press overlay: it would cost two extra redraws of the whole graph per click
      { selector: 'node:active, edge:active', style: { 'overlay-opacity': 0 } },
      { selector: 'node:selected', style: { 'border-width': size * 0.25, 'border-color': '#111827' } },
      { selector: 'node.trace', style: { 'border-width': size * 0.25, 'border-color': '#ff8c00', 'z-index': 8 } },
      { selector: 'edge', style: { 'curve-style': 'haystack', 'haystack-radius': 0, width: Math.max(0.8, size * 0.12), 'line-color': '#a0a7b4', opacity: 0.75 } },
      { selector: 'edge[qb = 0]', style: { 'line-color': QUALITY[0] } },
      { selector: 'edge[qb = 1]', style: { 'line-color': QUALITY[1] } },
      { selector: 'edge[qb = 2]', style: { 'line-color': QUALITY[2] } },
      { selector: 'edge[qb = 3]', style: { 'line-color': QUALITY[3] } },
      { selector: 'edge:selected', style: { width: Math.max(2, size * 0.35), 'line-color': '#111827', opacity: 1 } },
      { selector: 'edge.trace', style: {
        width: Math.max(3, size * 0.45), 'line-color': '#ff8c00', opacity: 1, 'z-index': 9,
        label: 'data(tl)', 'font-size': font, 'min-zoomed-font-size': 8, color: '#7c2d12', 'text-outline-color': '#fff', 'text-outline-width': font * 0.15,
      } },
    ];
    cy.style(s);
  }
  styleFor(50);

  function place(n: NodeInfo): { x: number; y: number } {
    if (n.pos && scale > 0) return { x: (n.pos.x - ox) * scale, y: (oy - n.pos.y) * scale };
    // no position: a golden-angle spiral around the middle of the box, in arrival order
    const k = spiral++;
    const r = 40 * Math.sqrt(k + 1) * (size / 12);
    const a = k * 2.39996;
    return { x: 500 + r * Math.cos(a), y: 350 + r * Math.sin(a) };
  }

  cy.on('tap', 'node', (e) => h.node(e.target.id()));
  cy.on('tap', 'edge', (e) => { const k = e.target.data('key'); if (k) h.link(k); });
  cy.on('tap', (e) => { if (e.target === cy) h.background(); });

  // what cytoscape shows now, so updates that change nothing visible never reach it
  const shown = new Map<string, { st: NodeState; gw: number; label: string; x: number; y: number }>();
  const edges = new Map<string, number>();

  const pending = new Map<string, LinkInfo>();
  let lastFlush = 0;

  function flushLinks(): void {
    lastFlush = performance.now();
    cy.batch(() => {
      const add: cytoscape.ElementDefinition[] = [];
      for (const [key, l] of pending) {
        const id = 'l' + key;
        const had = edges.get(key);
        if (!l.up) { if (had !== undefined) { cy.getElementById(id).remove(); edges.delete(key); } continue; }
        const qb = bucket(l);
        if (had === undefined) {
          if (!shown.has(l.a) || !shown.has(l.b)) continue;
          add.push({ group: 'edges', data: { id, source: l.a, target: l.b, key, qb } });
          edges.set(key, qb);
        } else if (had !== qb) {
          cy.getElementById(id).data('qb', qb);
          edges.set(key, qb);
        }
      }
      pending.clear();
      if (add.length) cy.add(add);
    });
  }

  let traceEls: cytoscape.CollectionReturnValue | null = null;
  let extra: string[] = [];

  return {
    cy,
    webgl,
    /** scale the source's coordinates once, from the first full snapshot */
    reset(nodes: NodeInfo[]): void {
      cy.elements().remove();
      shown.clear();
      edges.clear();
      pending.clear();
      lastFlush = 0;
      spiral = 0;
      fitted = false;
      styleFor(nodes.length);
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const n of nodes) if (n.pos) { x0 = Math.min(x0, n.pos.x); x1 = Math.max(x1, n.pos.x); y0 = Math.min(y0, n.pos.y); y1 = Math.max(y1, n.pos.y); }
      // a 1000 × 700 box; y is flipped so that north is up (oy is the top edge)
      if (x1 >= x0) { scale = 1000 / Math.max(1, x1 - x0, (y1 - y0) * (1000 / 700)); ox = x0; oy = y1; } else scale = 0;
    },
    /** add or update nodes; state is the page's view (up / stale / down) */
    nodes(list: { n: NodeInfo; st: NodeState }[]): void {
      cy.batch(() => {
        const add: cytoscape.ElementDefinition[] = [];
        for (const { n, st } of list) {
          const gw = n.role === 'gateway' ? 1 : 0;
          const s = shown.get(n.id);
          const q = n.pos && scale > 0 ? place(n) : null;
          if (!s) {
            add.push({ group: 'nodes', data: { id: n.id, label: n.name, gw, st }, position: q ?? place(n) });
            shown.set(n.id, { st, gw, label: n.name, x: q ? q.x : NaN, y: q ? q.y : NaN });
            continue;
          }
          // touch cytoscape only for what it draws: unchanged records cost a Map lookup
          if (s.st === st && s.gw === gw && s.label === n.name && (!q || Math.abs(s.x - q.x) + Math.abs(s.y - q.y) <= 0.5)) continue;
          const e = cy.getElementById(n.id);
          if (s.st !== st) e.data('st', st);
          if (s.gw !== gw) e.data('gw', gw);
          if (s.label !== n.name) e.data('label', n.name);
          if (q && Math.abs(s.x - q.x) + Math.abs(s.y - q.y) > 0.5) { e.position(q); s.x = q.x; s.y = q.y; }
          s.st = st; s.gw = gw; s.label = n.name;
        }
        if (add.length) cy.add(add);
      });
      if (!fitted && cy.nodes().length > 0) { cy.fit(undefined, 20); fitted = true; }
    },
    /** link records are queued and drawn together at most every LINK_FLUSH_MS: each flush is one redraw */
    links(list: LinkInfo[]): void {
      for (const l of list) pending.set(keyOf(l.a, l.b), l);
      if (pending.size && (edges.size === 0 || performance.now() - lastFlush >= LINK_FLUSH_MS)) flushLinks();
    },
    /** draw queued link changes if they have waited long enough (called on the page's 1 s tick) */
    tick(): void {
      if (pending.size && performance.now() - lastFlush >= LINK_FLUSH_MS) flushLinks();
    },
    select(id: string | null): void {
      cy.batch(() => {
        cy.$(':selected').unselect();
        if (id) cy.getElementById(id).select();
      });
    },
    trace(t: TraceResult | null): void {
      cy.batch(() => {
        if (traceEls) traceEls.removeClass('trace');
        for (const x of extra) cy.getElementById(x).remove();
        extra = [];
        traceEls = null;
        if (!t) return;
        let els = cy.collection();
        for (const id of t.path) els = els.union(cy.getElementById(id));
        const pct = (q: number | null): string => (q === null ? '?' : String(Math.round(q * 100)));
        for (const hop of t.hops) {
          const id = 'l' + keyOf(hop.a, hop.b);
          let e = cy.getElementById(id);
          if (e.empty()) {
            // a hop the link list does not have (yet): draw it anyway, for the trace only
            const tid = 't' + keyOf(hop.a, hop.b);
            if (cy.getElementById(hop.a).empty() || cy.getElementById(hop.b).empty()) continue;
            e = cy.add({ group: 'edges', data: { id: tid, source: hop.a, target: hop.b, key: keyOf(hop.a, hop.b), qb: -1 } });
            extra.push(tid);
          }
          // the label reads in the path's direction: forward % / back %
          e.data('tl', `${pct(hop.qualityAB)}/${pct(hop.qualityBA)} %`);
          els = els.union(e);
        }
        els.addClass('trace');
        traceEls = els;
      });
    },
    fit(): void { cy.fit(undefined, 20); },
    /** force-directed layout, once, on request (the only time positions are computed here) */
    relayout(): void {
      cy.layout({ name: 'cose', animate: false, randomize: false, nodeDimensionsIncludeLabels: false, numIter: 600 } as cytoscape.LayoutOptions).run();
      cy.fit(undefined, 20);
    },
    count(): number { return cy.nodes().length; },
  };
}
