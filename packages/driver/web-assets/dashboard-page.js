// The Dashboard page's script: follows /jobs/{id}/dashboard/events (Server-Sent Events: a
// snapshot of every dashboard first, then each batch as it completes) and draws bar
// charts and tables in the DOM and line charts with uPlot. Every name, key and value is
// written with textContent, never as markup.
(() => {
  'use strict';
  const app = document.body.dataset.app;
  const root = document.getElementById('dashboards');
  const status = document.getElementById('dash-status');
  const boards = new Map(); // name -> { view, section, meta, warn, body, plot, plotSeries }
  const COLORS = ['#2f6fb0', '#d9822b', '#4f8f4f', '#a33c3c', '#7b5ea7', '#2a9d8f', '#8c6d1f', '#c0468b', '#555555', '#3c7a89'];

  const when = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const num = (v) => (Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(6))));
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function board(view) {
    let b = boards.get(view.name);
    if (b && b.view.kind !== view.kind) {
      b.plot?.destroy();
      b.section.remove();
      boards.delete(view.name);
      b = undefined;
    }
    if (!b) {
      const section = el('section', 'dashboard');
      section.dataset.name = view.name;
      section.dataset.kind = view.kind;
      section.dataset.updates = '0';
      const warn = el('div', 'warning');
      warn.hidden = true;
      b = { view, section, title: el('h2'), meta: el('p', 'stat'), warn, body: el('div', 'dashboard-body'), plot: undefined, plotSeries: -1, points: [] };
      section.append(b.title, b.meta, b.warn, b.body);
      root.appendChild(section);
      boards.set(view.name, b);
    }
    return b;
  }

  function renderBars(b, v) {
    const top = v.bars.reduce((m, x) => Math.max(m, Math.abs(x.value)), 0);
    const list = el('div', 'bars');
    for (const { label, value } of v.bars) {
      const row = el('div', 'bar');
      const name = el('span', 'bar-label', label);
      name.title = label;
      const track = el('span', 'bar-track');
      const fill = el('span', value < 0 ? 'bar-fill negative' : 'bar-fill');
      fill.style.width = (top > 0 ? (100 * Math.abs(value)) / top : 0).toFixed(2) + '%';
      track.appendChild(fill);
      row.append(name, track, el('span', 'bar-value', num(value)));
      list.appendChild(row);
    }
    b.body.replaceChildren(list);
    b.meta.textContent = v.batchTime === undefined ? 'Waiting for the first batch.' :
      'Batch ' + when(v.batchTime) + ': ' + num(v.numKeys) + (v.numKeys === 1 ? ' key' : ' keys') + (v.bars.length < v.numKeys ? ', the ' + v.bars.length + ' largest shown' : '') + '.';
  }

  function renderTable(b, v) {
    const table = el('table', 'dashboard-table');
    const head = el('tr');
    for (const c of v.columns) head.appendChild(el('th', null, c));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const r of v.rows) {
      const tr = el('tr');
      for (const c of r) tr.appendChild(el('td', null, c));
      body.appendChild(tr);
    }
    b.body.replaceChildren(table);
    b.meta.textContent = v.batchTime === undefined ? 'Waiting for the first batch.' :
      'Batch ' + when(v.batchTime) + ': ' + num(v.numRecords) + (v.numRecords === 1 ? ' row' : ' rows') + (v.rows.length < v.numRecords ? ', the first ' + v.rows.length + ' shown' : '') + '.';
  }

  /** A line's points (kept in b.points, oldest first) as uPlot data: x in seconds, one array per series. */
  function renderLine(b, v) {
    const series = v.series;
    const xs = b.points.map((p) => p.batchTime / 1000);
    const ys = series.map((_s, i) => b.points.map((p) => (i < p.values.length ? p.values[i] : null)));
    if (!b.plot || b.plotSeries !== series.length) {
      b.plot?.destroy();
      b.body.replaceChildren();
      const width = Math.max(300, Math.min(1100, root.clientWidth || 800));
      b.plot = new uPlot({
        width,
        height: 260,
        scales: { x: { time: true } },
        axes: [{}, { size: 64 }],
        series: [{}, ...series.map((s, i) => ({ label: s === '' ? v.title : s, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: true, size: 4 } }))],
      }, [xs, ...ys], b.body);
      b.plotSeries = series.length;
    } else b.plot.setData([xs, ...ys]);
    // What the chart holds now: one point per batch it keeps (tests read it).
    b.body.dataset.points = String(xs.length);
    b.body.dataset.lastBatch = b.points.length ? String(b.points[b.points.length - 1].batchTime) : '';
    b.meta.textContent = b.points.length === 0 ? 'Waiting for the first batch.' :
      b.points.length + (b.points.length === 1 ? ' batch' : ' batches') + ' (the last ' + v.keepBatches + ' are kept); latest ' + when(b.points[b.points.length - 1].batchTime) + '.';
  }

  /** Add or replace a line's point (by batch time, in order) and keep the last keepBatches. */
  function addPoint(b, point, keep) {
    const at = b.points.findIndex((p) => p.batchTime >= point.batchTime);
    if (at < 0) b.points.push(point);
    else if (b.points[at].batchTime === point.batchTime) b.points[at] = point;
    else b.points.splice(at, 0, point);
    if (b.points.length > keep) b.points.splice(0, b.points.length - keep);
  }

  function render(view, point) {
    const b = board(view);
    b.view = view;
    b.title.textContent = view.title;
    b.warn.replaceChildren(...view.warnings.map((w) => el('p', null, w)));
    b.warn.hidden = view.warnings.length === 0;
    if (view.kind === 'bar') renderBars(b, view);
    else if (view.kind === 'table') renderTable(b, view);
    else {
      if (view.points) b.points = view.points.slice();
      if (point) addPoint(b, point, view.keepBatches);
      renderLine(b, view);
    }
    if (view.batchTime !== undefined) b.section.dataset.batch = String(view.batchTime);
    b.section.dataset.updates = String(Number(b.section.dataset.updates) + 1);
  }

  function describe(state) {
    const n = boards.size;
    status.textContent = (n === 0 ? 'This job has no dashboards (add one with dstream.toDashboard(name, { kind })).' : n + (n === 1 ? ' dashboard' : ' dashboards') + ', updated live after every batch.') +
      (state && state !== 'running' ? ' The job ended (' + state + '): this is its last state.' : '');
    document.body.dataset.jobState = state || '';
  }

  const events = new EventSource('/jobs/' + encodeURIComponent(app) + '/dashboard/events');
  events.addEventListener('snapshot', (e) => {
    const s = JSON.parse(e.data);
    for (const v of s.dashboards) render(v);
    describe(s.state);
    document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
  });
  events.addEventListener('defined', (e) => {
    render(JSON.parse(e.data).view);
    describe('running');
  });
  events.addEventListener('batch', (e) => {
    const c = JSON.parse(e.data);
    render(c.view, c.point);
  });
  events.addEventListener('end', (e) => {
    events.close();
    describe(JSON.parse(e.data).state);
  });
  events.onerror = () => {
    if (events.readyState !== EventSource.CLOSED) status.textContent = 'Lost the driver; reconnecting…';
  };
})();
