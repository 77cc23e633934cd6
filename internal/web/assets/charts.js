// charts.js: hand-written SVG line charts for the nosedive lab. Every chart
// has a title and axis labels with units; series are told apart by colour,
// dash pattern and a direct label at the line's end, so they read without
// colour; hovering (or focusing the chart and pressing the arrow keys)
// shows the values of a day; the legend's buttons switch series on and off.
'use strict';

const SVGNS = 'http://www.w3.org/2000/svg';
// The report's colours and dash patterns (internal/report's Palette and
// Dashes, Okabe-Ito): TestPaletteIsTheReports keeps these two lines equal
// to them, so a group has the same colour in the lab and in its report.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

function niceTicks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const span = hi - lo;
  const step0 = span / Math.max(1, n);
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const err = step0 / mag;
  const step = (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1) * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

// lineChart draws into host. opt: {title, xLabel, yLabel, x: [..], series:
// [{name, values, colour?, dash?, errs?: [[lo, hi], ..]}], fmt(v) -> text,
// yMin, yMax, hlines: [{y, label}], markers (a dot at each value), id}.
// errs draws an interval (a vertical bar with caps) at each x. Every chart
// carries SVG and PNG (2x) download buttons (addExport).
function lineChart(host, opt) {
  host.textContent = '';
  const fig = document.createElement('figure');
  fig.className = 'chart';
  host.appendChild(fig);
  const cap = document.createElement('figcaption');
  cap.textContent = opt.title;
  const capID = (opt.id || ('c' + Math.random().toString(36).slice(2))) + '-title';
  cap.id = capID;
  fig.appendChild(cap);
  const series = opt.series.map((s, k) => Object.assign({ colour: PALETTE[k % PALETTE.length], dash: DASHES[k % DASHES.length], on: true }, s));
  const legend = document.createElement('div');
  legend.className = 'legend';
  legend.setAttribute('role', 'group');
  legend.setAttribute('aria-label', 'Show or hide series');
  fig.appendChild(legend);
  const W = 760, H = 330, L = 64, R = 130, T = 12, B = 46;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': capID, tabindex: '0', class: 'plot' }, fig);
  const tip = document.createElement('div');
  tip.className = 'tip';
  tip.hidden = true;
  tip.setAttribute('aria-live', 'polite');
  fig.appendChild(tip);
  const fmt = opt.fmt || (v => (Math.round(v * 10) / 10).toString());
  const xs = opt.x;
  const xmin = xs[0], xmax = xs[xs.length - 1];
  const sx = x => L + (xmax > xmin ? (x - xmin) / (xmax - xmin) : 0) * (W - L - R);
  let sy, cursor = null, paths = [], labels = [];

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const vis = series.filter(s => s.on);
    let lo = opt.yMin, hi = opt.yMax;
    if (lo === undefined || hi === undefined) {
      let a = Infinity, b = -Infinity;
      for (const s of vis) for (const v of s.values) if (v != null && isFinite(v)) { a = Math.min(a, v); b = Math.max(b, v); }
      for (const s of vis) for (const e of s.errs || []) for (const v of e || []) if (v != null && isFinite(v)) { a = Math.min(a, v); b = Math.max(b, v); }
      for (const h of opt.hlines || []) { a = Math.min(a, h.y); b = Math.max(b, h.y); }
      if (!isFinite(a)) { a = 0; b = 1; }
      if (lo === undefined) lo = Math.min(0, a);
      if (hi === undefined) hi = b + (b - lo) * 0.05 || 1;
    }
    const ticks = niceTicks(lo, hi, 5);
    const ylo = Math.min(lo, ticks[0]), yhi = Math.max(hi, ticks[ticks.length - 1]);
    sy = y => T + (1 - (y - ylo) / (yhi - ylo || 1)) * (H - T - B);
    const g = svgEl('g', { class: 'axes' }, svg);
    for (const t of ticks) {
      svgEl('line', { x1: L, x2: W - R, y1: sy(t), y2: sy(t), class: 'grid' }, g);
      const tx = svgEl('text', { x: L - 6, y: sy(t) + 4, 'text-anchor': 'end' }, g);
      tx.textContent = fmt(t);
    }
    for (const t of niceTicks(xmin, xmax, 8)) {
      svgEl('line', { x1: sx(t), x2: sx(t), y1: H - B, y2: H - B + 5, class: 'tick' }, g);
      const tx = svgEl('text', { x: sx(t), y: H - B + 18, 'text-anchor': 'middle' }, g);
      tx.textContent = t;
    }
    svgEl('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }, g);
    svgEl('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }, g);
    const xl = svgEl('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axlabel' }, g);
    xl.textContent = opt.xLabel;
    const yl = svgEl('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axlabel', transform: `rotate(-90 14 ${(T + H - B) / 2})` }, g);
    yl.textContent = opt.yLabel;
    for (const h of opt.hlines || []) {
      svgEl('line', { x1: L, x2: W - R, y1: sy(h.y), y2: sy(h.y), class: 'hline' }, g);
      const ht = svgEl('text', { x: L + 4, y: sy(h.y) - 3, class: 'hlabel' }, g);
      ht.textContent = h.label;
    }
    paths = []; labels = [];
    for (const s of vis) {
      let d = '', pen = false;
      s.values.forEach((v, i) => {
        if (v == null || !isFinite(v) || i >= xs.length) { pen = false; return; } // a longer series is cut at the axis
        d += (pen ? 'L' : 'M') + sx(xs[i]).toFixed(1) + ' ' + sy(v).toFixed(1);
        pen = true;
      });
      const p = svgEl('path', { d, fill: 'none', stroke: s.colour, 'stroke-width': s.width || 2.2, 'stroke-dasharray': s.dash, class: 'series' }, svg);
      paths.push(p);
      (s.errs || []).forEach((e, i) => {
        if (!e || e[0] == null || e[1] == null || !isFinite(e[0]) || !isFinite(e[1])) return;
        const x = sx(xs[i]), y0 = sy(e[0]), y1 = sy(e[1]);
        svgEl('path', { d: `M${x.toFixed(1)} ${y0.toFixed(1)}V${y1.toFixed(1)}M${(x - 4).toFixed(1)} ${y0.toFixed(1)}h8M${(x - 4).toFixed(1)} ${y1.toFixed(1)}h8`, stroke: s.colour, 'stroke-width': 1.4, fill: 'none', class: 'errbar' }, svg);
      });
      if (opt.markers) s.values.forEach((v, i) => { if (v != null && isFinite(v)) svgEl('circle', { cx: sx(xs[i]), cy: sy(v), r: 3.2, fill: s.colour, class: 'marker' }, svg); });
      let last = Math.min(s.values.length, xs.length) - 1;
      while (last >= 0 && (s.values[last] == null || !isFinite(s.values[last]))) last--;
      if (last >= 0) labels.push({ s, x: sx(xs[last]), y: sy(s.values[last]) });
    }
    // Direct labels, nudged apart.
    labels.sort((a, b) => a.y - b.y);
    for (let i = 1; i < labels.length; i++) if (labels[i].y - labels[i - 1].y < 13) labels[i].y = labels[i - 1].y + 13;
    for (const lb of labels) {
      const t = svgEl('text', { x: lb.x + 6, y: lb.y + 4, class: 'dlabel', fill: lb.s.colour }, svg);
      t.textContent = lb.s.name;
    }
    cursor = svgEl('line', { x1: 0, x2: 0, y1: T, y2: H - B, class: 'cursor', visibility: 'hidden' }, svg);
  }

  function show(i) {
    i = Math.max(0, Math.min(xs.length - 1, i));
    state.i = i;
    cursor.setAttribute('x1', sx(xs[i]));
    cursor.setAttribute('x2', sx(xs[i]));
    cursor.setAttribute('visibility', 'visible');
    tip.hidden = false;
    tip.textContent = '';
    const h = document.createElement('strong');
    h.textContent = (opt.xName || opt.xLabel) + ' ' + xs[i];
    tip.appendChild(h);
    for (const s of series.filter(s => s.on)) {
      const row = document.createElement('div');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.borderTop = `3px ${s.dash ? 'dashed' : 'solid'} ${s.colour}`;
      row.appendChild(sw);
      const v = s.values[i];
      row.appendChild(document.createTextNode(`${s.name}: ${v == null || !isFinite(v) ? 'n/a' : fmt(v)}`));
      tip.appendChild(row);
    }
    const frac = (sx(xs[i]) - L) / (W - L - R);
    tip.style.left = frac > 0.6 ? '' : `calc(${(sx(xs[i]) / W * 100).toFixed(1)}% + 12px)`;
    tip.style.right = frac > 0.6 ? `calc(${((W - sx(xs[i])) / W * 100).toFixed(1)}% + 12px)` : '';
  }
  const state = { i: xs.length - 1 };
  svg.addEventListener('mousemove', ev => {
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    const x = xmin + (p.x - L) / (W - L - R) * (xmax - xmin);
    let best = 0;
    for (let i = 0; i < xs.length; i++) if (Math.abs(xs[i] - x) < Math.abs(xs[best] - x)) best = i;
    show(best);
  });
  svg.addEventListener('mouseleave', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  svg.addEventListener('focus', () => show(state.i));
  svg.addEventListener('blur', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  svg.addEventListener('keydown', ev => {
    const step = ev.shiftKey ? 10 : 1;
    if (ev.key === 'ArrowLeft') show(state.i - step);
    else if (ev.key === 'ArrowRight') show(state.i + step);
    else if (ev.key === 'Home') show(0);
    else if (ev.key === 'End') show(xs.length - 1);
    else return;
    ev.preventDefault();
  });
  for (const s of series) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'legend-item';
    b.setAttribute('aria-pressed', 'true');
    const sw = svgEl('svg', { width: 34, height: 10, 'aria-hidden': 'true' });
    svgEl('line', { x1: 1, x2: 33, y1: 5, y2: 5, stroke: s.colour, 'stroke-width': 3, 'stroke-dasharray': s.dash }, sw);
    b.appendChild(sw);
    b.appendChild(document.createTextNode(' ' + s.name));
    b.addEventListener('click', () => {
      s.on = !s.on;
      b.setAttribute('aria-pressed', String(s.on));
      draw();
    });
    legend.appendChild(b);
  }
  draw();
  addExport(fig, svg, opt.id || 'chart', () => series.filter(s => s.on));
  return { svg };
}

// The properties a chart's look depends on, copied from the page's
// stylesheet onto the exported copy (a downloaded SVG has no app.css).
const STYLE_PROPS = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'fill-opacity', 'opacity', 'font-size', 'font-family', 'font-weight', 'visibility'];

// chartSVG returns a chart as a standalone SVG document (text): its title
// above, the plot with its styles inlined, and the legend below the
// plotting area (never over the lines). legend() lists the shown series.
function chartSVG(fig, svg, legend) {
  const vb = svg.viewBox.baseVal;
  const W = vb.width, H = vb.height;
  const clone = svg.cloneNode(true);
  const src = svg.querySelectorAll('*'), dst = clone.querySelectorAll('*');
  src.forEach((e, i) => {
    const cs = getComputedStyle(e);
    const st = STYLE_PROPS.map(p => `${p}:${cs.getPropertyValue(p)}`).join(';');
    dst[i].setAttribute('style', st);
  });
  for (const c of clone.querySelectorAll('.cursor')) c.remove();
  const items = legend ? legend() : [];
  const perRow = Math.max(1, Math.floor((W - 20) / 170));
  const rows = Math.ceil(items.length / perRow);
  const top = 30, bottom = rows * 20 + (rows ? 10 : 0);
  const out = svgEl('svg', { xmlns: SVGNS, width: W, height: H + top + bottom, viewBox: `0 0 ${W} ${H + top + bottom}` });
  svgEl('rect', { x: 0, y: 0, width: W, height: H + top + bottom, fill: '#ffffff' }, out);
  const cap = fig.querySelector('figcaption');
  const t = svgEl('text', { x: 10, y: 20, style: 'font: 600 14px sans-serif; fill: #111' }, out);
  t.textContent = cap ? cap.textContent : '';
  const g = svgEl('g', { transform: `translate(0 ${top})` }, out);
  clone.removeAttribute('class');
  clone.setAttribute('width', W); clone.setAttribute('height', H);
  g.appendChild(clone);
  items.forEach((s, k) => {
    const x = 10 + (k % perRow) * 170, y = top + H + 16 + Math.floor(k / perRow) * 20;
    svgEl('line', { x1: x, x2: x + 30, y1: y - 4, y2: y - 4, stroke: s.colour, 'stroke-width': 3, 'stroke-dasharray': s.dash || '' }, out);
    const lt = svgEl('text', { x: x + 36, y, style: 'font: 12px sans-serif; fill: #111' }, out);
    lt.textContent = s.name;
  });
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(out);
}

// chartPNG renders chartSVG at twice its size; resolves to a data: URL.
function chartPNG(fig, svg, legend) {
  const text = chartSVG(fig, svg, legend);
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  const w = Number(doc.getAttribute('width')), hh = Number(doc.getAttribute('height'));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement('canvas');
      c.width = 2 * w; c.height = 2 * hh;
      const ctx = c.getContext('2d');
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0, w, hh);
      resolve(c.toDataURL('image/png'));
    };
    img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(text);
  });
}

function saveURL(url, name) {
  const a = document.createElement('a');
  a.href = url; a.download = name; a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// addExport puts "SVG" and "PNG (2x)" download buttons under a figure.
function addExport(fig, svg, name, legend) {
  const bar = document.createElement('div');
  bar.className = 'export';
  const mk = (label, kind) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.dataset.export = kind;
    b.textContent = label;
    b.setAttribute('aria-label', `Download this chart as ${label}`);
    b.addEventListener('click', async () => {
      const file = name.replace(/[^A-Za-z0-9_-]+/g, '-');
      if (kind === 'svg') saveURL('data:image/svg+xml;charset=utf-8,' + encodeURIComponent(chartSVG(fig, svg, legend)), file + '.svg');
      else saveURL(await chartPNG(fig, svg, legend), file + '.png');
    });
    bar.appendChild(b);
  };
  mk('SVG', 'svg');
  mk('PNG (2x)', 'png');
  fig.appendChild(bar);
  fig.chartSVG = () => chartSVG(fig, svg, legend);
  fig.chartPNG = () => chartPNG(fig, svg, legend);
}
