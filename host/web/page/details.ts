/**
 * The selection card: a node (its record and its links, both directions), a link (quality both ways,
 * RSSI), and the last traceroute (per-hop quality both ways). Re-rendered when the selection changes and
 * at most once a second while it is shown.
 */
import type { TraceResult } from '../mesh-feed.ts';
import { esc, fmtAgo, fmtDuration, fmtPct, label, nodeState, uptimeNow, type Model } from './model.ts';

export function createDetails(root: HTMLElement, model: Model) {
  let trace: TraceResult | null = null;

  function nodeHtml(id: string): string {
    const n = model.nodes.get(id);
    if (!n) return `<p class="muted">unknown node ${esc(id)}</p>`;
    const st = nodeState(model, n);
    const rows: [string, string][] = [
      ['id', n.id], ['role', n.role], ['state', `<b class="state-${st}">${st}</b>`],
      ['uptime', fmtDuration(uptimeNow(model, n))], ['free memory', n.mem === null ? '–' : String(n.mem)],
      ['firmware', esc(n.fw ?? '–')], ['neighbours', String(n.neighbours)],
      ['routes', n.routes === undefined ? '–' : String(n.routes)], ['last heard', fmtAgo(model, n.lastHeard)],
    ];
    if (n.pos) rows.push(['position', `${n.pos.x.toFixed(0)}, ${n.pos.y.toFixed(0)} m`]);
    const links = [...(model.adj.get(id) ?? [])].map((k) => model.links.get(k)!).filter(Boolean);
    // quality seen from this node: out = its frames heard there, in = theirs heard here
    const view = links.map((l) => (l.a === id
      ? { other: l.b, out: l.qualityAB, inn: l.qualityBA, rssi: l.rssi }
      : { other: l.a, out: l.qualityBA, inn: l.qualityAB, rssi: l.rssi }));
    view.sort((x, y) => Math.min(y.out ?? 0, y.inn ?? 0) - Math.min(x.out ?? 0, x.inn ?? 0));
    const table = view.length
      ? `<table><tr><th>neighbour</th><th>out</th><th>in</th><th>RSSI</th></tr>${view.slice(0, 8).map((v) =>
        `<tr><td>${esc(label(model, v.other))}</td><td>${fmtPct(v.out)}</td><td>${fmtPct(v.inn)}</td><td>${v.rssi ?? '–'} dBm</td></tr>`).join('')}</table>${view.length > 8 ? `<p class="muted">… ${view.length - 8} more</p>` : ''}`
      : '';
    return `<h2>Node ${esc(n.name)}</h2><dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>${table}`;
  }

  function linkHtml(key: string): string {
    const l = model.links.get(key);
    if (!l) return '<p class="muted">this link is gone</p>';
    const a = esc(label(model, l.a)), b = esc(label(model, l.b));
    return `<h2>Link ${a} ↔ ${b}</h2><dl>
      <dt>${a} → ${b}</dt><dd>${fmtPct(l.qualityAB)} of frames heard</dd>
      <dt>${b} → ${a}</dt><dd>${fmtPct(l.qualityBA)} of frames heard</dd>
      <dt>RSSI</dt><dd>${l.rssi === null ? '–' : l.rssi + ' dBm'}</dd>
      <dt>updated</dt><dd>${fmtAgo(model, l.t)}</dd></dl>`;
  }

  function traceHtml(t: TraceResult): string {
    const hops = t.hops.map((h) => `<tr><td>${esc(label(model, h.a))} → ${esc(label(model, h.b))}</td><td>${fmtPct(h.qualityAB)}</td><td>${fmtPct(h.qualityBA)}</td><td>${h.rssiAB ?? '–'} / ${h.rssiBA ?? '–'}</td></tr>`).join('');
    return `<h2 style="margin-top:8px">Traceroute ${esc(label(model, t.from))} → ${esc(label(model, t.to))}: ${t.status}, ${t.path.length - 1} hops, ${t.ms} ms</h2>
      <table><tr><th>hop</th><th>fwd</th><th>back</th><th>RSSI fwd / back</th></tr>${hops}</table>`;
  }

  function render(): void {
    const s = model.selected;
    let html = s === null ? '<h2>Selection</h2><p class="muted">Click a node or a link in the graph or the table.</p>'
      : s.kind === 'node' ? nodeHtml(s.id) : linkHtml(s.key);
    if (trace) html += traceHtml(trace);
    root.innerHTML = html;
  }

  return {
    render,
    trace(t: TraceResult | null): void { trace = t; render(); },
  };
}
