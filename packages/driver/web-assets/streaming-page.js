// The Streaming page's script: reads the driver's REST API every second and draws each
// series' timeline and histogram with uPlot (served by the driver), and fills the tables.
// Every value is written with textContent, never as markup. An ES module (strict, its own
// scope): it imports core's formats of Spark's UIUtils, which the server-side pages write with too.
import { formatBatchTime, formatDuration, formatDurationVerbose, formatFixed, formatStatAverage } from './ui-formats.js';

(() => {
  const app = document.body.dataset.app;
  const base = '/api/v1/applications/' + encodeURIComponent(app);
  const pageBase = '/jobs/' + encodeURIComponent(app) + '/streaming/';
  const SERIES = {
    inputRate: (b) => (b.batchDuration > 0 ? b.inputSize / (b.batchDuration / 1000) : b.inputSize),
    schedulingDelay: (b) => b.schedulingDelay,
    processingTime: (b) => b.processingTime,
    totalDelay: (b) => b.totalDelay,
  };
  const timelines = {};
  const histograms = {};

  // A receiver's records/sec as Spark's RecordRateUIData writes it: %.2f.
  const num = (v) => (v === undefined || v === null ? '-' : formatFixed(v, 2));
  const bytes = (v) => {
    if (!v) return '0 B';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + u[i];
  };
  // Spark's UIUtils formats, from core's ui-formats.ts itself (the driver serves its compiled file):
  // batch times `yyyy/MM/dd HH:mm:ss` (`.SSS` under a 1 s interval) in the driver's time zone.
  const zone = document.body.dataset.tz || undefined;
  const batchTime = (t, interval) => (t ? formatBatchTime(t, interval, true, zone) : '-');
  const duration = (v) => (v === undefined || v === null ? '-' : formatDuration(v));
  const verbose = (ms) => formatDurationVerbose(ms).trim();

  /**
   * Spark's UIUtils.createOutputOperationFailureForUI: a job's failure (Spark's SparkException,
   * here 'Job aborted ...') as 'Failed due to Spark job error', any other as 'Failed due to
   * error: <its first line>'; then the failure itself on the lines after.
   */
  function failureForUI(failure) {
    if (/^Job aborted/.test(failure)) return 'Failed due to Spark job error\n' + failure;
    const nl = failure.indexOf('\n');
    return 'Failed due to error: ' + (nl < 0 ? failure : failure.slice(0, nl)) + '\n' + failure;
  }

  /**
   * Spark's UIUtils.failureReasonCell(reason, includeFirstLineInExpandDetails = false) for the
   * batch tables' Error column: the first line of failureForUI, then '+details' that shows the
   * lines after it (the failure whole) when clicked.
   */
  function failureCell(td, failure) {
    const ui = failureForUI(failure);
    const nl = ui.indexOf('\n');
    td.className = 'failure-reason';
    td.append(ui.slice(0, nl));
    const toggle = Object.assign(document.createElement('span'), { className: 'expand-details', textContent: '+details' });
    const details = Object.assign(document.createElement('div'), { className: 'stacktrace-details collapsed' });
    details.appendChild(Object.assign(document.createElement('pre'), { textContent: ui.slice(nl + 1) }));
    toggle.addEventListener('click', () => details.classList.toggle('collapsed'));
    td.append(toggle, details);
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      if (c && typeof c === 'object' && 'failure' in c) failureCell(td, c.failure);
      else if (c && typeof c === 'object') {
        const a = document.createElement('a');
        a.href = c.href;
        a.textContent = c.text;
        td.appendChild(a);
      } else td.textContent = c === undefined || c === null ? '-' : String(c);
      tr.appendChild(td);
    }
    return tr;
  }

  /**
   * A table's column names, with Spark's "Error" last when `error`; a name `sortable` lists is a
   * link that sorts by it (sortHref), marked `data-sort` and, while the table is sorted by it,
   * `data-dir` (the arrow is the style sheet's: the header's text stays the column's name).
   */
  function header(id, names, error, sortable) {
    const tr = document.querySelector('#' + id + ' thead tr');
    const want = error ? names.concat(['Error']) : names;
    const key = JSON.stringify([want, sortable ? [completedPaging.sort, completedPaging.desc] : null]);
    if (tr.dataset.key === key) return;
    tr.dataset.key = key;
    tr.replaceChildren(
      ...want.map((n) => {
        const th = document.createElement('th');
        if (!sortable || !sortable.includes(n)) th.textContent = n;
        else {
          const a = Object.assign(document.createElement('a'), { className: 'sort', textContent: n, href: sortHref(n) });
          a.dataset.sort = n;
          if (completedPaging.sort === n) a.dataset.dir = completedPaging.desc ? 'desc' : 'asc';
          th.appendChild(a);
        }
        return th;
      }),
    );
  }

  /**
   * Spark's paged Completed Batches table (StreamingPage's completedBatches.page, .pageSize,
   * .sort and .desc query parameters): every kept completed batch, 100 a page, sorted by any of
   * its columns either way, ties newest first; by default by Batch Time, the newest first.
   */
  const COMPLETED_SORTS = {
    'Batch Time': (b) => b.batchId,
    Records: (b) => b.inputSize,
    'Scheduling Delay': (b) => b.schedulingDelay,
    'Processing Time': (b) => b.processingTime,
    'Total Delay': (b) => b.totalDelay,
    'Output Ops: Succeeded/Total': (b) => b.numCompletedOutputOps,
  };
  const completedPaging = (() => {
    const q = new URLSearchParams(location.search);
    const page = q.get('completedBatches.page') ?? '1';
    const size = q.get('completedBatches.pageSize') ?? '100';
    const sort = q.get('completedBatches.sort') ?? 'Batch Time';
    const desc = q.get('completedBatches.desc') ?? (q.has('completedBatches.sort') ? 'false' : 'true');
    const names = Object.keys(COMPLETED_SORTS);
    let error;
    if (!/^[1-9]\d{0,8}$/.test(page)) error = "completedBatches.page: '" + page + "' is no page number (1, 2, ...)";
    else if (!/^[1-9]\d{0,5}$/.test(size)) error = "completedBatches.pageSize: '" + size + "' is no page size (a whole number, 1 or more)";
    else if (!Object.hasOwn(COMPLETED_SORTS, sort)) error = "completedBatches.sort: '" + sort + "' is none of " + names.slice(0, -1).join(', ') + ' and ' + names.at(-1);
    else if (desc !== 'true' && desc !== 'false') error = "completedBatches.desc: '" + desc + "' is neither true nor false";
    return { page: Number(page), pageSize: Number(size), sort, desc: desc === 'true', error };
  })();

  /** This page's address with the completed batches' paging changed by `change`. */
  function pagingHref(change) {
    const p = { ...completedPaging, ...change };
    const q = new URLSearchParams(location.search);
    q.set('completedBatches.page', String(p.page));
    q.set('completedBatches.pageSize', String(p.pageSize));
    q.set('completedBatches.sort', p.sort);
    q.set('completedBatches.desc', String(p.desc));
    return location.pathname + '?' + q.toString();
  }

  /** Sorted by `col`: ascending, or descending when it already is ascending (Batch Time: newest first, then oldest), from page 1. */
  function sortHref(col) {
    const on = completedPaging.sort === col;
    return pagingHref({ sort: col, desc: on ? !completedPaging.desc : col === 'Batch Time', page: 1 });
  }

  /** The page of `newestFirst` (every kept completed batch) that completedPaging asks for. */
  function completedPage(newestFirst) {
    const key = COMPLETED_SORTS[completedPaging.sort];
    const sign = completedPaging.desc ? -1 : 1;
    const sorted = newestFirst
      .map((b, i) => ({ b, i, k: key(b) ?? -1 }))
      .sort((x, y) => (x.k < y.k ? -sign : x.k > y.k ? sign : x.i - y.i))
      .map((x) => x.b);
    const { page, pageSize } = completedPaging;
    return sorted.slice((page - 1) * pageSize, page * pageSize);
  }

  /** The page links over `total` completed batches: 1, the last and those within 3 of this one. */
  function completedPagingLine(total) {
    const el = document.getElementById('completed-paging');
    const pages = Math.max(1, Math.ceil(total / completedPaging.pageSize));
    const key = pages + ' ' + completedPaging.page;
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    el.dataset.pages = String(pages);
    el.dataset.page = String(completedPaging.page);
    const parts = ['Page'];
    for (let p = 1; p <= pages; p++) {
      if (p !== 1 && p !== pages && Math.abs(p - completedPaging.page) > 3) continue;
      parts.push(' ');
      if (p === completedPaging.page) parts.push(Object.assign(document.createElement('b'), { textContent: String(p) }));
      else parts.push(Object.assign(document.createElement('a'), { href: pagingHref({ page: p }), textContent: String(p) }));
    }
    parts.push(' · ' + completedPaging.pageSize + ' batches a page');
    if (completedPaging.page > pages) parts.push(' · page ' + completedPaging.page + ' is out of range: the batches are on pages 1 to ' + pages);
    el.replaceChildren(...parts);
  }

  function fill(id, rows) {
    document.querySelector('#' + id + ' tbody').replaceChildren(...rows.map(row));
  }

  async function getJson(path) {
    const r = await fetch(base + path, { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  function width(el) {
    return Math.max(200, Math.min(560, el.clientWidth || 480));
  }

  /**
   * Spark's batch interval line on the Processing Time charts (its drawLine, dashed light blue,
   * and the word "stable" on the side of it where a batch takes no longer than the interval): a
   * horizontal line at the interval on the timeline, a vertical one on the histogram (whose x is
   * the processing time). Spark draws it once a batch took the interval or longer; here the
   * charts' range always takes it in, so how much room is left shows before it runs out.
   */
  let batchIntervalMs = 0;
  const STABLE_COLOR = 'lightblue';
  /** A value axis' range taking in the batch interval: [min, max] from the data's. */
  const withInterval = (u, min, max) => [Math.min(0, min ?? 0), Math.max(max ?? 0, batchIntervalMs) * 1.15 || 1];
  function stableLine(u, axis) {
    if (!(batchIntervalMs > 0)) return;
    const { ctx, bbox } = u;
    const at = u.valToPos(batchIntervalMs, axis, true);
    const px = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = STABLE_COLOR;
    ctx.fillStyle = STABLE_COLOR;
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 6 * px]);
    ctx.beginPath();
    if (axis === 'y') {
      ctx.moveTo(bbox.left, at);
      ctx.lineTo(bbox.left + bbox.width, at);
    } else {
      ctx.moveTo(at, bbox.top);
      ctx.lineTo(at, bbox.top + bbox.height);
    }
    ctx.stroke();
    ctx.font = 11 * px + 'px sans-serif';
    ctx.textAlign = 'right';
    if (axis === 'y') ctx.fillText('stable', bbox.left + bbox.width - 4 * px, at + 14 * px);
    else ctx.fillText('stable', at - 4 * px, bbox.top + 12 * px);
    ctx.restore();
  }

  function timelineOptions(el, stable) {
    return {
      width: width(el),
      height: 150,
      legend: { show: false },
      scales: { x: { time: true }, ...(stable ? { y: { range: withInterval } } : {}) },
      axes: [{}, { size: 56 }],
      series: [{}, { stroke: '#2f6fb0', width: 1.5, fill: 'rgba(47,111,176,0.08)', points: { show: true, size: 4 } }],
      ...(stable ? { hooks: { draw: [(u) => stableLine(u, 'y')] } } : {}),
    };
  }

  function histogramOptions(el, stable) {
    return {
      width: width(el),
      height: 150,
      legend: { show: false },
      scales: { x: { time: false, ...(stable ? { range: withInterval } : {}) } },
      axes: [{}, { size: 40 }],
      series: [{}, { stroke: '#4f8f4f', fill: 'rgba(79,143,79,0.4)', paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
      ...(stable ? { hooks: { draw: [(u) => stableLine(u, 'x')] } } : {}),
    };
  }

  /** Counts of `values` in `bins` equal-width bins; x is each bin's centre. */
  function bin(values, bins) {
    if (values.length === 0) return [[], []];
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const w = hi > lo ? (hi - lo) / bins : 1;
    const n = hi > lo ? bins : 1;
    const xs = Array.from({ length: n }, (_, i) => lo + w * (i + 0.5));
    const ys = new Array(n).fill(0);
    for (const v of values) ys[Math.min(n - 1, Math.floor((v - lo) / w))]++;
    return [xs, ys];
  }

  function draw(key, xs, ys) {
    const tl = document.getElementById('timeline-' + key);
    // Processing Time's charts show the batch interval (stableLine), as Spark's.
    const stable = key === 'processingTime';
    if (!timelines[key]) timelines[key] = new uPlot(timelineOptions(tl, stable), [xs, ys], tl);
    else timelines[key].setData([xs, ys]);
    // What the chart holds now: one point per completed batch (tests read it).
    tl.dataset.points = String(timelines[key].data[0].length);
    tl.dataset.lastBatch = xs.length ? String(Math.round(xs[xs.length - 1] * 1000)) : '';
    const hg = document.getElementById('histogram-' + key);
    const h = bin(ys.filter((v) => v !== undefined && v !== null), 12);
    if (!histograms[key]) histograms[key] = new uPlot(histogramOptions(hg, stable), h, hg);
    else histograms[key].setData(h);
    hg.dataset.points = String(h[1].reduce((a, b) => a + b, 0));
  }

  /**
   * Spark's StreamingPage input stream rows: each input stream that counted records in a kept
   * batch (its `inputStreams`), by stream id, with its records/s in every completed batch (0
   * where it had none) charted as the series above are, and its average.
   */
  function streamCharts(completed, xs) {
    const names = new Map();
    for (const b of completed) for (const s of b.inputStreams || []) names.set(s.streamId, s.streamName);
    const ids = [...names.keys()].sort((a, b) => a - b);
    const box = document.getElementById('stream-charts');
    document.getElementById('streams-heading').hidden = ids.length === 0;
    for (const id of ids) {
      const key = 'stream-' + id;
      let div = document.getElementById('series-' + key);
      if (!div) {
        div = Object.assign(document.createElement('div'), { className: 'series', id: 'series-' + key });
        div.dataset.stream = String(id);
        div.append(
          document.createElement('h3'),
          Object.assign(document.createElement('p'), { className: 'stat', id: 'stat-' + key }),
          Object.assign(document.createElement('div'), { className: 'timeline', id: 'timeline-' + key }),
          Object.assign(document.createElement('div'), { className: 'histogram', id: 'histogram-' + key }),
        );
        // In stream id order, whichever appeared first.
        const next = [...box.children].find((c) => Number(c.dataset.stream) > id);
        box.insertBefore(div, next || null);
      }
      div.querySelector('h3').textContent = names.get(id) + ' (stream ' + id + ')';
      const ys = completed.map((b) => {
        const s = (b.inputStreams || []).find((x) => x.streamId === id);
        const n = s ? s.numRecords : 0;
        return b.batchDuration > 0 ? n / (b.batchDuration / 1000) : n;
      });
      draw(key, xs, ys);
      document.getElementById('stat-' + key).textContent = formatStatAverage('rate', ys);
    }
  }

  async function refresh() {
    // The batches first, then the statistics: a batch completing between the two answers then
    // raises the count, never the list past it (a heading of 'last 3 out of 2' otherwise).
    const batches = await getJson('/streaming/batches');
    const [stats, receivers, workers] = await Promise.all([getJson('/streaming/statistics'), getJson('/streaming/receivers'), getJson('/executors')]);
    const completed = batches.filter((b) => b.status === 'COMPLETED').reverse(); // oldest first
    const xs = completed.map((b) => b.batchId / 1000);
    batchIntervalMs = stats.batchDuration;
    for (const [key, f] of Object.entries(SERIES)) {
      const ys = completed.map(f);
      draw(key, xs, ys);
      const vals = ys.filter((v) => v !== undefined && v !== null);
      // Spark's: 'Avg: 12.50 records/sec', 'Avg: 1 second 200 ms' ('-' with no batch).
      document.getElementById('stat-' + key).textContent = formatStatAverage(key === 'inputRate' ? 'rate' : 'duration', vals);
    }
    streamCharts(completed, xs);
    // A job whose attempt ended ran its batches until then: its page must not count on to now.
    const ended = stats.endTimeEpoch > 0;
    document.getElementById('summary').textContent =
      (ended
        ? 'Ran batches of ' + verbose(stats.batchDuration) + ' for ' + verbose(Math.max(0, stats.endTimeEpoch - stats.startTimeEpoch)) + ', from ' + batchTime(stats.startTimeEpoch, 1000) + ' until the job ended at ' + batchTime(stats.endTimeEpoch, 1000)
        : 'Running batches of ' + verbose(stats.batchDuration) + ' for ' + verbose(Math.max(0, Date.now() - stats.startTimeEpoch)) + ' since ' + batchTime(stats.startTimeEpoch, 1000)) +
      ': ' + stats.numTotalCompletedBatches + ' completed (' +
      stats.numRetainedCompletedBatches + ' kept), ' + stats.numActiveBatches + ' active; ' + stats.numProcessedRecords + ' records processed; ' +
      stats.numActiveReceivers + ' of ' + stats.numReceivers + ' receivers active.';
    const warning = document.getElementById('warning');
    if (stats.fallingBehind) {
      warning.hidden = false;
      warning.textContent = stats.fallingBehind.message;
    } else warning.hidden = true;
    // Spark's batch tables: waiting batches before running ones, newest first; an Error column only while a shown batch has failed.
    const active = batches.filter((b) => b.status !== 'COMPLETED');
    const kept = completed.slice().reverse();
    const shown = completedPaging.error ? [] : completedPage(kept);
    const activeError = active.some((b) => b.firstFailureReason);
    const completedError = shown.some((b) => b.firstFailureReason);
    header('active-batches', ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Output Ops: Succeeded/Total', 'Status'], activeError);
    header('completed-batches', ['Batch Time', 'Records', 'Scheduling Delay', 'Processing Time', 'Total Delay', 'Output Ops: Succeeded/Total'], completedError, Object.keys(COMPLETED_SORTS));
    document.getElementById('active-heading').textContent = 'Active Batches (' + active.length + ')';
    document.getElementById('completed-heading').textContent = 'Completed Batches (last ' + kept.length + ' out of ' + stats.numTotalCompletedBatches + ')';
    const bad = document.getElementById('completed-bad');
    bad.hidden = !completedPaging.error;
    bad.textContent = completedPaging.error || '';
    document.getElementById('completed-batches').hidden = Boolean(completedPaging.error);
    if (!completedPaging.error) completedPagingLine(kept.length);
    fill('active-batches', active.map((b) => [
      { href: pageBase + 'batch/' + b.batchId, text: batchTime(b.batchId, stats.batchDuration) },
      b.inputSize,
      duration(b.schedulingDelay),
      duration(b.processingTime),
      b.numCompletedOutputOps + '/' + b.numTotalOutputOps,
      b.status.toLowerCase(),
      ...(activeError ? [b.firstFailureReason ? { failure: b.firstFailureReason } : '-'] : []),
    ]));
    fill('completed-batches', shown.map((b) => [
      { href: pageBase + 'batch/' + b.batchId, text: batchTime(b.batchId, stats.batchDuration) },
      b.inputSize,
      duration(b.schedulingDelay),
      duration(b.processingTime),
      duration(b.totalDelay),
      b.numCompletedOutputOps + '/' + b.numTotalOutputOps,
      ...(completedError ? [b.firstFailureReason ? { failure: b.firstFailureReason } : '-'] : []),
    ]));
    // After an error, its state says whether records came again since (Spark leaves the error standing beside ACTIVE).
    const restDate = (d) => (d ? Date.parse(d.replace('GMT', 'Z')) : undefined);
    const stateOf = (r) =>
      (r.isActive ? 'ACTIVE' : 'INACTIVE') +
      (r.receivingAgainTime ? ', receiving again since ' + batchTime(restDate(r.receivingAgainTime), 1000) : r.isActive && r.lastErrorTime ? ', nothing received since the error' : '');
    // Its receivers: REST lists every input stream (Spark's), one without a receiver with no isActive.
    fill('receivers', receivers.filter((r) => r.isActive !== undefined).map((r) => [r.streamId, r.streamName, r.executorId, stateOf(r), num(r.avgEventRate), r.numRecords, r.lastErrorMessage || '', r.lastErrorTime ? batchTime(Date.parse(r.lastErrorTime.replace('GMT', 'Z')), 1000) : '-']));
    // The workers alone: /executors lists the driver first (Spark's executor "driver"), which runs no task and holds no received block.
    fill('workers', workers.filter((w) => w.id !== 'driver').map((w) => [w.id, w.hostPort, w.totalCores, w.activeTasks, bytes(w.memoryUsed) + ' / ' + bytes(w.maxMemory), bytes(w.rssBytes), w.inputBlocks + ' input, ' + w.rddBlocks + ' cached, ' + w.shuffleBlocks + ' shuffle']));
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  }

  async function loop() {
    try {
      await refresh();
    } catch (e) {
      document.getElementById('summary').textContent = 'Cannot read the REST API: ' + e.message;
    } finally {
      setTimeout(loop, 1000);
    }
  }
  loop();
})();
