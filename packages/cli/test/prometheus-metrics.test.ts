// The driver's /metrics on a real cluster (driver + 2 worker processes on loopback): the
// text parses with an independent Prometheus text-format parser (parse-prometheus-text-format)
// and a strict line check of this test's own; counters are counters, histograms
// histograms; the values are the ones the test can compute from what it ran: records
// received and processed equal the lines the test sent, batches completed equal the
// batches the job reported, tasks completed and failed equal the partitions of a batch
// job and the one failure it was made to have; each worker's process figures (gathered
// by the driver from heartbeats) are there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { LocalCluster } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import { fixture, jsonLine, jsonLines, mulberry32, sleep, startJob, within } from './harness.js';

let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-metrics-'));
  cluster = new LocalCluster({
    workers: 2,
    coresPerWorker: 1,
    logLevel: process.env.SLUICE_TEST_LOG ?? 'warn',
    log: createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false }),
    driver: { webPort: 0, heartbeatIntervalMs: 200 },
  });
  await cluster.start();
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Labels = Record<string, string>;
type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line: `name{labels} value`. */
interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

/** A scrape, parsed: each family's type (from its TYPE line) and every sample. */
interface Scrape {
  readonly types: ReadonlyMap<string, MetricType>;
  readonly samples: readonly Sample[];
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(,|$)/y;

/** Label pairs of `{a="x",b="y"}` (unescaped), or a failed assertion naming the line. */
function parseLabels(body: string, line: string): Labels {
  const out: Labels = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(body);
    assert.ok(m && m.index === at, `bad labels in ${JSON.stringify(line)}`);
    assert.ok(!(m[1] in out), `label ${m[1]} twice in ${JSON.stringify(line)}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}

/**
 * Scrape /metrics and parse it twice. First strictly, line by line against the text
 * format (this test's own parser): every line a HELP, a TYPE or a sample; one TYPE per
 * family, before its samples; _bucket/_sum/_count only for histograms, whose buckets
 * count up to +Inf = _count. Then with parse-prometheus-text-format, an independent
 * parser, which must find the same families with the same types and the same counter and
 * gauge samples (it cannot tell labelled histogram series apart, so those are checked by
 * the strict parser alone).
 */
async function scrape(): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${cluster.driver.webPort}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const types = new Map<string, MetricType>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      assert.ok(!types.has(t[1]), `two TYPE lines for ${t[1]}`);
      types.set(t[1], t[2] as MetricType);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([+-]?[0-9.]+(?:e[+-]?[0-9]+)?|[+-]?inf|nan)$/i.exec(line);
    assert.ok(m, `not a line of the Prometheus text format: ${JSON.stringify(line)}`);
    const name = m[1];
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `sample ${name} comes before (or without) a TYPE line for it`);
    if (family !== name) assert.equal(types.get(family), 'histogram', `${name}: only histograms have _bucket, _sum and _count samples`);
    // Values as Go's strconv.ParseFloat (Prometheus's parser) reads them: Inf and NaN in any case.
    samples.push({ name, labels: parseLabels(m[2] ?? '', line), value: /nan/i.test(m[3]) ? NaN : Number(m[3].replace(/inf/i, 'Infinity')) });
  }
  // Histograms: per series, cumulative buckets ending at +Inf equal to _count.
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, `${name}_bucket without le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const values = buckets.map((b) => b.value);
      assert.deepEqual(values, [...values].sort((a, b) => a - b), `${name}${key}: buckets are cumulative`);
      assert.equal(buckets.at(-1)!.labels.le, '+Inf');
      const count = samples.find((x) => x.name === `${name}_count` && JSON.stringify(Object.entries(x.labels).sort()) === key);
      assert.equal(count?.value, values.at(-1), `${name}${key}: +Inf bucket = _count`);
    }
  }
  const parsed = parsePrometheusTextFormat(text);
  assert.deepEqual(new Map(parsed.map((f) => [f.name, f.type.toLowerCase()])), types, 'the independent parser finds the same families and types');
  for (const f of parsed) {
    if (f.type !== 'COUNTER' && f.type !== 'GAUGE') continue;
    const theirs = f.metrics.map((x) => ({ name: f.name, labels: x.labels ?? {}, value: /nan/i.test(x.value ?? '') ? NaN : Number(x.value) }));
    assert.deepEqual(theirs, samples.filter((x) => x.name === f.name), `samples of ${f.name}`);
  }
  return { types, samples };
}

/** The family's samples (`suffix`: '_bucket', '_count', ...), asserting its type. */
function family(m: Scrape, name: string, type: MetricType, suffix = ''): Sample[] {
  assert.equal(m.types.get(name) ?? 'missing', type, `${name} is a ${type}`);
  return m.samples.filter((s) => s.name === name + suffix);
}

const matches = (l: Labels, want: Labels): boolean => Object.entries(want).every(([k, v]) => l[k] === v);

/** Sum of a counter's or gauge's samples whose labels include `want` (0 when none). */
function sum(m: Scrape, name: string, type: MetricType, want: Labels = {}): number {
  return family(m, name, type)
    .filter((s) => matches(s.labels, want))
    .reduce((n, s) => n + s.value, 0);
}

/** The one sample of a counter or gauge whose labels include `want`. */
function one(m: Scrape, name: string, type: MetricType, want: Labels): number {
  const s = family(m, name, type).filter((x) => matches(x.labels, want));
  assert.equal(s.length, 1, `one ${name} sample for ${JSON.stringify(want)}, got ${JSON.stringify(s)}`);
  return s[0].value;
}

/** A histogram's observation count for the series whose labels include `want`. */
function histogramCount(m: Scrape, name: string, want: Labels): number {
  return family(m, name, 'histogram', '_count')
    .filter((s) => matches(s.labels, want))
    .reduce((n, s) => n + s.value, 0);
}

test('a streaming job: records received and processed equal the lines sent, batches completed equal the batches the job reported; workers report RSS, heap, CPU, event-loop delay', { timeout: 120_000 }, async () => {
  const sockets: net.Socket[] = [];
  let connected!: (s: net.Socket) => void;
  const client = new Promise<net.Socket>((r) => (connected = r));
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    sockets.push(s);
    connected(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stopFile = path.join(tmp, 'stop-stream');
  try {
    const port = (server.address() as net.AddressInfo).port;
    const job = await startJob(cluster, fixture('stream-socket-wordcount.ts'), ['127.0.0.1', String(port), '300', stopFile]);
    const sock = await within(client, 30_000, 'the receiver to connect');
    const rnd = mulberry32(11);
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const LINES = 700;
    const lines = Array.from({ length: LINES }, () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => words[Math.floor(rnd() * 4)]).join(' '));
    // In three parts, a batch or so apart, so the records spread over several batches.
    for (const part of [lines.slice(0, 200), lines.slice(200, 450), lines.slice(450)]) {
      sock.write(part.join('\n') + '\n');
      await sleep(350);
    }
    const processed = (): number => jsonLines<{ numRecords: number }>(job.lines, 'INFO ').reduce((n, b) => n + b.numRecords, 0);
    for (const deadline = Date.now() + 60_000; processed() < LINES; await sleep(50)) {
      assert.ok(Date.now() < deadline, `the job processed ${processed()} of ${LINES} lines in 60 s`);
    }
    assert.equal(processed(), LINES);

    // While it runs: the job and its receiver are up; every worker's process figures are there.
    const running = await scrape();
    const j = { job_id: job.id };
    assert.equal(one(running, 'sluice_job_running', 'gauge', j), 1);
    assert.equal(one(running, 'sluice_receivers_up', 'gauge', j), 1);
    const workers = cluster.driver.registry.all().map((w) => w.id);
    assert.equal(workers.length, 2);
    assert.equal(one(running, 'sluice_workers', 'gauge', {}), 2);
    for (const worker of workers) {
      const w = { worker };
      const rss = one(running, 'sluice_worker_process_resident_memory_bytes', 'gauge', w);
      const heapUsed = one(running, 'sluice_worker_process_heap_used_bytes', 'gauge', w);
      const heapTotal = one(running, 'sluice_worker_process_heap_total_bytes', 'gauge', w);
      assert.ok(rss > 20 * 2 ** 20 && rss < 4 * 2 ** 30, `worker ${worker} RSS ${rss}`);
      assert.ok(heapUsed > 1 * 2 ** 20 && heapUsed <= heapTotal && heapTotal < rss, `worker ${worker} heap ${heapUsed} of ${heapTotal} (RSS ${rss})`);
      assert.ok(one(running, 'sluice_worker_process_cpu_seconds_total', 'counter', { worker, mode: 'user' }) > 0);
      for (const stat of ['mean', 'p99', 'max']) {
        const lag = one(running, `sluice_worker_event_loop_lag_${stat}_seconds`, 'gauge', w);
        assert.ok(lag >= 0 && lag < 10, `worker ${worker} event-loop lag ${stat} ${lag}`);
      }
      assert.ok(one(running, 'sluice_worker_cores', 'gauge', w) === 1);
      const blocks = family(running, 'sluice_worker_blocks', 'gauge').filter((s) => s.labels.worker === worker);
      assert.deepEqual(blocks.map((s) => s.labels.kind).sort(), ['broadcast', 'input', 'rdd', 'shuffle']);
    }

    fs.writeFileSync(stopFile, '');
    const run = await within(job.done, 60_000, 'the job to stop');
    assert.equal(run.ok, true, JSON.stringify(run.failure));
    const batches = jsonLines<{ numRecords: number }>(run.lines, 'INFO ');
    const stopped = jsonLine<{ batches: number }>(run.lines, 'STOPPED ');
    assert.ok(batches.length >= 2, `the lines spread over ${batches.length} batches`);

    // After it ended: its counters and histograms hold what it did.
    const m = await scrape();
    assert.equal(one(m, 'sluice_job_running', 'gauge', j), 0);
    assert.equal(one(m, 'sluice_batches_completed_total', 'counter', j), batches.length);
    assert.equal(stopped.batches, batches.length);
    assert.equal(one(m, 'sluice_batches_failed_total', 'counter', j), 0);
    assert.equal(sum(m, 'sluice_streaming_received_records_total', 'counter', j), LINES);
    assert.equal(one(m, 'sluice_streaming_processed_records_total', 'counter', j), LINES);
    for (const h of ['sluice_batch_processing_seconds', 'sluice_batch_scheduling_delay_seconds', 'sluice_batch_total_delay_seconds']) {
      assert.equal(histogramCount(m, h, j), batches.length, `${h} has one observation per batch`);
    }
    assert.equal(one(m, 'sluice_last_batch_input_records', 'gauge', j), batches.at(-1)!.numRecords);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a batch job: tasks completed equal its partitions, the one failure it was made to have is counted by reason, shuffle bytes are counted', { timeout: 120_000 }, async () => {
  const MAPS = 8;
  const REDUCES = 4;
  const before = await scrape();
  const workerTasksBefore = sum(before, 'sluice_worker_tasks_completed_total', 'counter');
  const job = await startJob(cluster, fixture('stage-tasks.ts'), [String(MAPS), String(REDUCES), '0', path.join(tmp, 'fail-once')]);
  const run = await within(job.done, 90_000, 'the batch job');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  // Computed here: 0..MAPS*100-1 by last digit.
  assert.deepEqual(jsonLine(run.lines, 'RESULT '), Array.from({ length: 10 }, (_, d) => [d, MAPS * 10]));

  const m = await scrape();
  const j = { job_id: job.id };
  assert.equal(one(m, 'sluice_tasks_completed_total', 'counter', j), MAPS + REDUCES);
  assert.equal(one(m, 'sluice_tasks_failed_total', 'counter', { ...j, reason: 'error' }), 1);
  assert.equal(sum(m, 'sluice_tasks_failed_total', 'counter', j), 1, 'no failure of another reason');
  assert.equal(histogramCount(m, 'sluice_task_duration_seconds', { ...j, outcome: 'success' }), MAPS + REDUCES);
  assert.equal(histogramCount(m, 'sluice_task_duration_seconds', { ...j, outcome: 'failed' }), 1);
  // Each map task writes its 100 numbers' 10 digits, combined map-side: some bytes per task.
  const shuffled = one(m, 'sluice_shuffle_write_bytes_total', 'counter', j);
  assert.ok(shuffled >= MAPS * 10 && shuffled < MAPS * 100_000, `shuffle bytes written ${shuffled}`);
  // Per worker, every attempt that ended counts (the failed one too), and counters only grow.
  const killed = sum(m, 'sluice_tasks_killed_total', 'counter', j);
  assert.equal(sum(m, 'sluice_worker_tasks_completed_total', 'counter') - workerTasksBefore, MAPS + REDUCES + 1 + killed);
  assert.equal(one(m, 'sluice_job_running', 'gauge', j), 0);
  // A batch job has no streaming series.
  assert.equal(family(m, 'sluice_batches_completed_total', 'counter').filter((s) => s.labels.job_id === job.id).length, 0);
});

test('a streaming job whose batch waits at a gate: queued and processing batches are what its listener saw submitted and started, and none once it stopped', { timeout: 120_000 }, async () => {
  const gate = path.join(tmp, 'gate');
  const stopFile = path.join(tmp, 'stop-gated');
  const job = await startJob(cluster, fixture('stream-gated.ts'), ['300', gate, stopFile]);
  const count = (prefix: string): number => job.lines.filter((l) => l.startsWith(prefix)).length;
  const j = { job_id: job.id };
  // The listener's lines and the driver's batch events travel apart: look until a scrape
  // and the lines around it agree (batches come every 300 ms, and only queue up).
  let agreed: { queued: number; processing: number } | undefined;
  for (const deadline = Date.now() + 60_000; !agreed; await sleep(50)) {
    assert.ok(Date.now() < deadline && !job.ended, `queued batches never matched the listener's lines:\n${job.lines.join('\n')}`);
    if (count('SUBMITTED ') < 4) continue;
    const submitted = count('SUBMITTED ');
    const started = count('STARTED ');
    const m = await scrape();
    const queued = one(m, 'sluice_streaming_queued_batches', 'gauge', j);
    const processing = one(m, 'sluice_streaming_processing_batches', 'gauge', j);
    if (count('SUBMITTED ') !== submitted || count('STARTED ') !== started) continue;
    if (queued === submitted - started && processing === started) agreed = { queued, processing };
  }
  assert.equal(agreed.processing, 1, 'one batch processes at a time');
  assert.ok(agreed.queued >= 3, `batches queued behind the gate: ${agreed.queued}`);
  assert.equal(count('COMPLETED '), 0);
  fs.writeFileSync(gate, '');
  fs.writeFileSync(stopFile, '');
  const run = await within(job.done, 60_000, 'the gated job to stop');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  const m = await scrape();
  assert.equal(one(m, 'sluice_streaming_queued_batches', 'gauge', j), 0);
  assert.equal(one(m, 'sluice_streaming_processing_batches', 'gauge', j), 0);
  assert.equal(one(m, 'sluice_batches_completed_total', 'counter', j), count('COMPLETED '));
});

test('backpressure: the rate limit gauge is the PID estimate computed here from the last batch with records (P = 1: its processing rate)', { timeout: 120_000 }, async () => {
  const sockets: net.Socket[] = [];
  let connected!: (s: net.Socket) => void;
  const client = new Promise<net.Socket>((r) => (connected = r));
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    sockets.push(s);
    connected(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stopFile = path.join(tmp, 'stop-rate');
  try {
    const job = await startJob(cluster, fixture('stream-socket-rate.ts'), ['127.0.0.1', String((server.address() as net.AddressInfo).port), '300', stopFile]);
    const sock = await within(client, 30_000, 'the receiver to connect');
    const LINES = 800;
    for (let part = 0; part < 4; part++) {
      sock.write(Array.from({ length: LINES / 4 }, (_, i) => `line ${part} ${i}`).join('\n') + '\n');
      await sleep(450);
    }
    type Info = { time: number; numRecords: number; processingDelay: number };
    const infos = (): Info[] => jsonLines<Info>(job.lines, 'INFO ');
    for (const deadline = Date.now() + 60_000; infos().reduce((n, b) => n + b.numRecords, 0) < LINES; await sleep(50)) {
      assert.ok(Date.now() < deadline, `the job processed ${JSON.stringify(infos())}`);
    }
    // The estimator's rule: a batch counts when it has records and took time; the first such
    // batch only sets its starting point. With P = 1, I = D = 0 each estimate is the batch's
    // processing rate, at least minRate (1).
    const used = infos().filter((b) => b.numRecords > 0 && b.processingDelay > 0);
    assert.ok(used.length >= 2, `two batches with records make an estimate: ${JSON.stringify(infos())}`);
    const last = used.at(-1)!;
    const expected = Math.max(1, (last.numRecords / last.processingDelay) * 1000);
    const j = { job_id: job.id };
    let rate = NaN;
    for (const deadline = Date.now() + 30_000; !(Math.abs(rate - expected) <= 1e-9 * expected); await sleep(100)) {
      assert.ok(Date.now() < deadline, `rate limit ${rate}, the estimate from ${JSON.stringify(last)} is ${expected}`);
      const m = await scrape();
      const series = family(m, 'sluice_streaming_rate_limit_records_per_second', 'gauge').filter((x) => matches(x.labels, j));
      if (series.length === 0) continue;
      assert.equal(series.length, 1, 'one input');
      assert.deepEqual({ ...series[0].labels, job_name: '' }, { job_id: job.id, job_name: '', stream_id: series[0].labels.stream_id, input: series[0].labels.input, kind: 'receiver' });
      rate = series[0].value;
    }
    fs.writeFileSync(stopFile, '');
    const run = await within(job.done, 60_000, 'the job to stop');
    assert.equal(run.ok, true, JSON.stringify(run.failure));
    const m = await scrape();
    assert.equal(family(m, 'sluice_streaming_rate_limit_records_per_second', 'gauge').filter((x) => matches(x.labels, j)).length, 0, 'no rate once the job ended');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('counters are counters, histograms histograms, and every counter (only counters) ends in _total', { timeout: 30_000 }, async () => {
  const m = await scrape();
  for (const [name, type] of m.types) {
    assert.notEqual(type, 'untyped', `${name} has a type`);
    // prom-client's own process figures name a gauge nodejs_active_resources_total.
    if (!name.startsWith('sluice_driver_')) assert.equal(name.endsWith('_total'), type === 'counter', `${name} is a ${type}`);
    if (type === 'counter') for (const s of family(m, name, type)) assert.ok(s.value >= 0, `${name} ${s.value}`);
  }
  for (const name of [
    'sluice_batches_completed_total',
    'sluice_streaming_received_records_total',
    'sluice_streaming_processed_records_total',
    'sluice_tasks_completed_total',
    'sluice_tasks_failed_total',
    'sluice_shuffle_write_bytes_total',
    'sluice_worker_tasks_completed_total',
    'sluice_worker_process_cpu_seconds_total',
  ]) {
    family(m, name, 'counter');
  }
  for (const name of ['sluice_batch_processing_seconds', 'sluice_batch_scheduling_delay_seconds', 'sluice_batch_total_delay_seconds', 'sluice_task_duration_seconds']) family(m, name, 'histogram');
  for (const name of ['sluice_workers', 'sluice_receivers_up', 'sluice_streaming_queued_batches', 'sluice_streaming_processing_batches', 'sluice_worker_blocks', 'sluice_worker_process_resident_memory_bytes', 'sluice_last_batch_total_delay_ms']) family(m, name, 'gauge');
  // The driver's own process, from prom-client's defaults.
  assert.ok(sum(m, 'sluice_driver_process_resident_memory_bytes', 'gauge') > 0);
  // Renamed counters leave no gauge behind under the old name.
  assert.equal(m.types.get('sluice_batches_completed'), undefined);
  assert.equal(m.types.get('sluice_worker_tasks_completed'), undefined);
});
