// Trend of findings across scans as SVG built with createElementNS (no library, no markup
// strings): stacked areas per severity, worst on top, axis labels, a <title> tooltip per scan.
import { svg, h, kSeverities, fmtTime } from './dom.js';

const kWidth = 720;
const kHeight = 240;
const kPad = { left: 48, right: 16, top: 16, bottom: 40 };

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// points: /api/v1/trend's points, oldest first.
export function trendChart(points) {
  const box = h('figure', { className: 'trend', testid: 'trend-chart' });
  if (!points.length) {
    box.append(h('p', { className: 'empty' }, 'No completed scan yet: the trend appears after the first scan.'));
    return box;
  }
  // Stack from the bottom: info first, critical on top where the eye lands.
  const order = [...kSeverities].reverse();
  const totals = points.map((p) => order.reduce((s, sev) => s + ((p.bySeverity || {})[sev] || 0), 0));
  const yMax = niceMax(Math.max(1, ...totals));
  const innerW = kWidth - kPad.left - kPad.right;
  const innerH = kHeight - kPad.top - kPad.bottom;
  const x = (i) => kPad.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v) => kPad.top + innerH - (v * innerH) / yMax;

  const root = svg('svg', { viewBox: `0 0 ${kWidth} ${kHeight}`, role: 'img', className: 'trend-svg',
                            'aria-label': `Findings per severity over the last ${points.length} scans` });
  root.append(svg('title', {}, `Findings per severity over the last ${points.length} scans`));

  // Grid and y axis labels.
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    root.append(svg('line', { x1: kPad.left, x2: kWidth - kPad.right, y1: y(v), y2: y(v), className: 'grid' }),
                svg('text', { x: kPad.left - 6, y: y(v) + 4, className: 'axis-label', 'text-anchor': 'end' },
                    String(Math.round(v))));
  }

  const base = points.map(() => 0);
  const layers = [];
  for (const sev of order) {
    const top = points.map((p, i) => base[i] + ((p.bySeverity || {})[sev] || 0));
    let d;
    if (points.length === 1) {
      // One scan: a bar, so a single point is still visible.
      const cx = x(0);
      d = `M${cx - 20},${y(base[0])} L${cx - 20},${y(top[0])} L${cx + 20},${y(top[0])} L${cx + 20},${y(base[0])} Z`;
    } else {
      const upper = top.map((v, i) => `${x(i)},${y(v)}`);
      const lower = base.map((v, i) => `${x(i)},${y(v)}`).reverse();
      d = `M${upper.join(' L')} L${lower.join(' L')} Z`;
    }
    layers.push(svg('path', { d, className: `area sev-${sev}` }, svg('title', {}, sev)));
    top.forEach((v, i) => { base[i] = v; });
  }
  root.append(...layers);

  // Total line with one dot per scan carrying the tooltip.
  if (points.length > 1) {
    root.append(svg('polyline', { points: totals.map((t, i) => `${x(i)},${y(t)}`).join(' '), className: 'total-line' }));
  }
  points.forEach((p, i) => {
    const lines = [`Scan ${p.scanId} · ${fmtTime(p.started)}`, `total ${totals[i]}` +
                   (p.excepted ? ` (+${p.excepted} excepted)` : '')];
    for (const sev of kSeverities) lines.push(`${sev}: ${(p.bySeverity || {})[sev] || 0}`);
    root.append(svg('circle', { cx: x(i), cy: y(totals[i]), r: 4, className: 'point', 'data-scan': p.scanId },
                    svg('title', {}, lines.join('\n'))));
  });

  // x axis: first, last and a few between, as dates. The first date is anchored at its start and
  // the last at its end, so neither runs past the chart's edge; a date between them too close to
  // the last one is left out rather than drawn over it.
  const kDateWidth = 72;
  const last = points.length - 1;
  const step = Math.max(1, Math.ceil(points.length / 6));
  points.forEach((p, i) => {
    if (i % step !== 0 && i !== last) return;
    if (i !== last && i !== 0 && x(last) - x(i) < kDateWidth * 1.5) return;
    const anchor = points.length === 1 ? 'middle' : i === 0 ? 'start' : i === last ? 'end' : 'middle';
    root.append(svg('text', { x: x(i), y: kHeight - kPad.bottom + 18, className: 'axis-label',
                              'text-anchor': anchor }, String(p.started || '').slice(0, 10)));
  });
  root.append(svg('line', { x1: kPad.left, x2: kWidth - kPad.right, y1: y(0), y2: y(0), className: 'axis' }));

  const legend = h('figcaption', { className: 'legend' },
    kSeverities.map((sev) => h('span', { className: 'legend-item' }, h('span', { className: `swatch sev-${sev}` }), sev)));
  box.append(root, legend);
  return box;
}
