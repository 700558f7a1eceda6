/**
 * Charts over time for the selected node (uPlot): traffic (frames sent, heard and relayed per second),
 * neighbours and routes with the mean link quality, and free memory. The server keeps each node's
 * history (host/web/_history.ts); the page asks for it when a node is selected and again every POLL_MS.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { NodeHistory } from '../_history.ts';

const POLL_MS = 2000;

type Data = uPlot.AlignedData;

export function createCharts(root: HTMLElement, fetchHistory: (id: string) => Promise<NodeHistory | null>) {
  const width = (): number => Math.max(200, root.clientWidth - 24);
  // x: wall-clock time of day; y: ticks close enough together that a 90-pixel chart still gets numbers
  const X: uPlot.Axis = { size: 28, space: 50, values: (_u, vals) => vals.map((v) => new Date(v * 1000).toLocaleTimeString([], { hour12: false })) };
  const Y = (o: uPlot.Axis): uPlot.Axis => ({ space: 14, ...o });
  const mk = (title: string, series: uPlot.Series[], axes: uPlot.Axis[], scales: uPlot.Scales): uPlot => {
    const div = document.createElement('div');
    div.className = 'chart';
    root.appendChild(div);
    return new uPlot({ title, width: width(), height: 100, series: [{}, ...series], axes, scales: { x: { time: true }, ...scales }, legend: { live: false }, cursor: { drag: { x: false, y: false } } },
      [[], ...series.map(() => [])] as unknown as Data, div);
  };
  const traffic = mk('frames / s', [
    { label: 'sent', stroke: '#3a5bd9', width: 1.5 },
    { label: 'heard', stroke: '#2a9d8f', width: 1.5 },
    { label: 'relayed', stroke: '#f08a24', width: 1.5 },
  ], [X, Y({ size: 40 })], {});
  const links = mk('neighbours, routes, link quality', [
    { label: 'neighbours', stroke: '#2a9d8f', width: 1.5 },
    { label: 'routes', stroke: '#7c3aed', width: 1.5 },
    { label: 'quality %', stroke: '#d62828', width: 1.5, scale: '%' },
  ], [X, Y({ size: 40 }), Y({ scale: '%', side: 1, size: 36, grid: { show: false } })], { '%': { range: [0, 100] } });
  const mem = mk('free memory (JsVars)', [{ label: 'free', stroke: '#1d2433', width: 1.5, fill: 'rgba(58,91,217,0.08)' }], [X, Y({ size: 58 })], {});

  let id: string | null = null;
  let timer: number | undefined;
  let seq = 0;

  async function load(): Promise<void> {
    if (!id) return;
    const mine = ++seq;
    const h = await fetchHistory(id);
    if (!h || mine !== seq) return;
    traffic.setData([h.t, h.txPerS, h.rxPerS, h.relayPerS] as unknown as Data);
    links.setData([h.t, h.neighbours, h.routes, h.quality.map((q) => (q === null ? null : q * 100))] as unknown as Data);
    mem.setData([h.t, h.mem] as unknown as Data);
  }

  window.addEventListener('resize', () => { for (const u of [traffic, links, mem]) u.setSize({ width: width(), height: 100 }); });

  return {
    show(node: string | null): void {
      id = node;
      window.clearInterval(timer);
      if (!node) {
        for (const u of [traffic, links, mem]) u.setData(u.data.map(() => []) as unknown as Data);
        return;
      }
      void load();
      timer = window.setInterval(() => void load(), POLL_MS);
    },
  };
}
