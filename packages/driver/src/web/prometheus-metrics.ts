import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchInfo } from '@sluice/core/internal';
import type { WorkerInfo, WorkerRegistry } from '../cluster/worker-registry.js';
import type { DecommissionOutcome } from '../cluster/worker-decommissioner.js';
import type { DriverJob } from '../job/driver-job.js';
import { FAILED_TASK_REASONS, type SchedulerListener, type TaskEndEvent } from '../scheduler/scheduler-listener.js';

/** What the metrics read at scrape time and which job an event belongs to. */
export interface MetricsSources {
  readonly workers: WorkerRegistry;
  /** Every job the driver keeps (ended ones too). */
  jobs(): Iterable<DriverJob>;
  /** The job whose attempt the schedulers and workers know as `runId`. */
  jobByRunId(runId: string): DriverJob | undefined;
  /** The workers the running streams need (WorkerAllocationManager). */
  desiredWorkers(): number;
}

/**
 * Labels naming a job. Not `job`: Prometheus sets `job` (and `instance`) on every series
 * of a scrape target itself, and renames a scraped `job` label to `exported_job`.
 */
type JobLabels = 'job_id' | 'job_name';

/** A job attempt's task series, their labels bound. */
interface TaskSeries {
  readonly job: DriverJob;
  readonly completed: { inc(value?: number): void };
  readonly killed: { inc(value?: number): void };
  readonly shuffleWriteBytes: { inc(value?: number): void };
  readonly succeededDuration: { observe(value: number): void };
  readonly failedDuration: { observe(value: number): void };
}

/** Seconds: from 5 ms to 2 min, for batch times and task durations alike. */
const TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const jobLabels = (j: DriverJob): Record<JobLabels, string> => ({ job_id: j.id, job_name: j.name });

/**
 * The driver's Prometheus metrics (`/metrics`), with prom-client, in a registry of its
 * own (never the global one: a process may run several drivers, as tests do).
 *
 * Two kinds of series:
 * - **counters and histograms fed by events**: batches completed (`DriverJob` 'batch'),
 *   records received (blocks a batch takes from its receivers, 'received'), task attempts
 *   ended (the DAG scheduler's `onTaskEnd`), shuffle bytes written. Per job: labels
 *   `job_id` and `job_name`; a job's series stay while the driver keeps the job.
 * - **gauges read at scrape time**: workers (slots, running tasks, blocks, memory, and the
 *   process figures each worker sends with its heartbeat: RSS, heap, CPU, event-loop
 *   delay), jobs running, receivers up, batches queued and processing, backpressure's
 *   rate per input, the last batch's figures. A lost worker's series go with it.
 *
 * Workers serve no /metrics of their own: the driver gathers their figures through the
 * heartbeat it already receives, so a cluster is one scrape target (one port to expose in
 * compose or Kubernetes, no per-pod discovery), at the price of one heartbeat interval of
 * staleness. The driver's own process metrics (prom-client's defaults) carry the prefix
 * `sluice_driver_`.
 *
 * Threading: driver main thread; event handlers only record.
 */
export class PrometheusMetrics implements SchedulerListener {
  readonly registry = new Registry();

  private readonly batchesCompleted: Counter<JobLabels>;
  private readonly batchesFailed: Counter<JobLabels>;
  private readonly processedRecords: Counter<JobLabels>;
  private readonly receivedRecords: Counter<JobLabels | 'stream_id'>;
  private readonly batchProcessing: Histogram<JobLabels>;
  private readonly batchSchedulingDelay: Histogram<JobLabels>;
  private readonly batchTotalDelay: Histogram<JobLabels>;
  private readonly tasksCompleted: Counter<JobLabels>;
  private readonly tasksFailed: Counter<JobLabels | 'reason'>;
  private readonly tasksKilled: Counter<JobLabels>;
  private readonly taskDuration: Histogram<JobLabels | 'outcome'>;
  private readonly shuffleWriteBytes: Counter<JobLabels>;
  private readonly decommissions: Counter<'outcome'>;
  private readonly decommissionMoved: Counter<'kind'>;
  /** Task series by job attempt (run id), resolved once per attempt. */
  private readonly taskSeriesByRun = new Map<string, TaskSeries>();

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> => new Counter({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> =>
      new Histogram({ name, help, labelNames, buckets: TIME_BUCKETS, registers });
    const J = ['job_id', 'job_name'] as const;

    this.batchesCompleted = counter('sluice_batches_completed_total', 'Batches a streaming job completed (failed ones included).', J);
    this.batchesFailed = counter('sluice_batches_failed_total', 'Batches whose output operation threw.', J);
    this.processedRecords = counter('sluice_streaming_processed_records_total', 'Input records of completed batches (every input: receivers and direct inputs).', J);
    this.receivedRecords = counter('sluice_streaming_received_records_total', 'Records receivers stored, counted as batches take their blocks.', [...J, 'stream_id']);
    this.batchProcessing = histogram('sluice_batch_processing_seconds', 'Processing time of completed batches: first output operation start to last output operation end.', J);
    this.batchSchedulingDelay = histogram('sluice_batch_scheduling_delay_seconds', 'Scheduling delay of completed batches: batch time to processing start.', J);
    this.batchTotalDelay = histogram('sluice_batch_total_delay_seconds', 'Total delay of completed batches: batch time to processing end.', J);
    this.tasksCompleted = counter('sluice_tasks_completed_total', "Tasks completed: each partition's first successful attempt.", J);
    this.tasksFailed = counter('sluice_tasks_failed_total', 'Task attempts that failed, by reason (error, fetch_failed, worker_lost, timeout).', [...J, 'reason']);
    this.tasksKilled = counter('sluice_tasks_killed_total', 'Task attempts killed: losing speculative copies, late duplicates, cancelled stages.', J);
    this.taskDuration = histogram('sluice_task_duration_seconds', 'Run time of task attempts that succeeded or failed, launch to result as the driver saw it.', [...J, 'outcome']);
    this.shuffleWriteBytes = counter('sluice_shuffle_write_bytes_total', 'Bytes of shuffle output written by map tasks (first successful attempts).', J);

    this.decommissions = counter('sluice_worker_decommissions_total', 'Workers that left: decommissioned (everything they held moved), lost (the decommission deadline passed, or they died meanwhile), disabled (decommissioning off).', ['outcome']);
    this.decommissionMoved = counter(
      'sluice_decommission_moved_total',
      'What decommissioned workers moved before leaving, by kind: receivers, input_blocks (received), rdd_blocks (cached), map_outputs, bytes.',
      ['kind'],
    );
    this.scrapedGauges();
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_driver_' });
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every series. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Count a job's batches and received records (called once per job, when it starts). */
  watchJob(job: DriverJob): void {
    job.on('batch', (info) => this.batchCompleted(job, info));
    job.on('received', (streamId, records) => this.receivedRecords.inc({ ...jobLabels(job), stream_id: String(streamId) }, records));
  }

  /**
   * Drop every series of a job the driver forgot (past --retained-jobs), so that a standing
   * driver's /metrics does not grow with each job it ever ran; its gauges, read from the kept
   * jobs at each scrape, went with it already.
   */
  forgetJob(job: DriverJob): void {
    for (const [runId, c] of this.taskSeriesByRun) if (c.job === job) this.taskSeriesByRun.delete(runId);
    const perJob = [this.batchesCompleted, this.batchesFailed, this.processedRecords, this.receivedRecords, this.batchProcessing, this.batchSchedulingDelay, this.batchTotalDelay, this.tasksCompleted, this.tasksFailed, this.tasksKilled, this.taskDuration, this.shuffleWriteBytes];
    for (const metric of perJob as (Counter<string> | Histogram<string>)[]) {
      void metric.get().then(
        (m) => {
          const seen = new Set<string>();
          for (const v of m.values) {
            if (v.labels['job_id'] !== job.id) continue;
            const { le: _le, ...labels } = v.labels;
            const key = JSON.stringify(labels);
            if (seen.has(key)) continue;
            seen.add(key);
            metric.remove(labels as Record<string, string>);
          }
        },
        () => undefined,
      );
    }
  }

  /** Count a finished decommission and what it moved. */
  decommissionEnded(o: DecommissionOutcome): void {
    this.decommissions.inc({ outcome: o.state });
    this.decommissionMoved.inc({ kind: 'receivers' }, o.receiversMoved);
    this.decommissionMoved.inc({ kind: 'input_blocks' }, o.inputBlocksMoved);
    this.decommissionMoved.inc({ kind: 'rdd_blocks' }, o.rddBlocksMoved);
    this.decommissionMoved.inc({ kind: 'map_outputs' }, o.mapOutputsMoved);
    this.decommissionMoved.inc({ kind: 'bytes' }, o.bytesMoved);
  }

  onTaskEnd(e: TaskEndEvent): void {
    const c = this.taskSeries(e.runId);
    if (!c) return;
    if (e.reason === 'success') {
      c.completed.inc();
      c.succeededDuration.observe(e.durationMs / 1000);
      if (e.shuffleWriteBytes > 0) c.shuffleWriteBytes.inc(e.shuffleWriteBytes);
    } else if (FAILED_TASK_REASONS.includes(e.reason)) {
      const l = jobLabels(c.job);
      this.tasksFailed.inc({ ...l, reason: e.reason });
      c.failedDuration.observe(e.durationMs / 1000);
    } else c.killed.inc();
  }

  /**
   * The task series of a job attempt, their labels resolved once (tiny tasks end thousands
   * of times a second); forgotten when the job is no longer the attempt's.
   */
  private taskSeries(runId: string): TaskSeries | undefined {
    const cached = this.taskSeriesByRun.get(runId);
    const job = this.src.jobByRunId(runId);
    if (cached && cached.job === job) return cached;
    this.taskSeriesByRun.delete(runId);
    if (!job) return undefined;
    const l = jobLabels(job);
    const c: TaskSeries = {
      job,
      completed: this.tasksCompleted.labels(l),
      killed: this.tasksKilled.labels(l),
      shuffleWriteBytes: this.shuffleWriteBytes.labels(l),
      succeededDuration: this.taskDuration.labels({ ...l, outcome: 'success' }),
      failedDuration: this.taskDuration.labels({ ...l, outcome: 'failed' }),
    };
    // Bounded: a driver runs few jobs at once; the oldest entry goes first.
    if (this.taskSeriesByRun.size >= 64) this.taskSeriesByRun.delete(this.taskSeriesByRun.keys().next().value!);
    this.taskSeriesByRun.set(runId, c);
    return c;
  }

  private batchCompleted(job: DriverJob, info: BatchInfo): void {
    const l = jobLabels(job);
    this.batchesCompleted.inc(l);
    this.batchesFailed.inc(l, info.failure ? 1 : 0);
    this.processedRecords.inc(l, info.numRecords);
    this.batchProcessing.observe(l, info.processingDelay / 1000);
    this.batchSchedulingDelay.observe(l, info.schedulingDelay / 1000);
    this.batchTotalDelay.observe(l, info.totalDelay / 1000);
  }

  /** Series read from the driver's state at each scrape (a gone worker or job leaves no stale series). */
  private scrapedGauges(): void {
    const registers = [this.registry];
    const workers = (): WorkerInfo[] => this.src.workers.all();
    const jobs = (): DriverJob[] => [...this.src.jobs()];
    /** A gauge set anew from `rows` at every scrape. */
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], rows: () => Iterable<[Partial<Record<L, string>>, number]>): void => {
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, v] of rows()) this.set(labels, v);
        },
      });
    };
    /** A counter whose running total lives elsewhere (a worker's): set from it at every scrape. */
    const total = <L extends string>(name: string, help: string, labelNames: readonly L[], rows: () => Iterable<[Partial<Record<L, string>>, number]>): void => {
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, v] of rows()) this.inc(labels, v);
        },
      });
    };
    const perWorker = (f: (w: WorkerInfo) => number | undefined) =>
      function* (): Iterable<[Partial<Record<'worker', string>>, number]> {
        for (const w of workers()) {
          const v = f(w);
          if (v !== undefined) yield [{ worker: w.id }, v];
        }
      };
    const W = ['worker'] as const;

    gauge('sluice_workers', 'Registered workers.', [], () => [[{}, workers().length]]);
    gauge(
      'sluice_desired_workers',
      "Workers the running streams need, for an autoscaler: from batch processing time against the batch interval, decided every --scaling-interval-ms (Spark's spark.streaming.dynamicAllocation).",
      [],
      () => [[{}, this.src.desiredWorkers()]],
    );
    gauge('sluice_worker_cores', 'Task slots per worker.', W, perWorker((w) => w.cores));
    gauge('sluice_worker_running_tasks', 'Tasks running per worker.', W, perWorker((w) => w.cores - w.freeSlots));
    total('sluice_worker_tasks_completed_total', 'Task attempts this worker finished (any outcome) since it registered.', W, perWorker((w) => w.tasksCompleted));
    gauge('sluice_worker_blocks', 'Blocks a worker holds (memory and disk), by kind: input (received), shuffle, rdd (cached), broadcast (variables fetched for its tasks).', [...W, 'kind'], function* () {
      for (const w of workers()) {
        const s = w.storage;
        if (!s) continue;
        yield [{ worker: w.id, kind: 'input' }, s.inputBlocks];
        yield [{ worker: w.id, kind: 'shuffle' }, s.shuffleBlocks];
        yield [{ worker: w.id, kind: 'rdd' }, s.rddBlocks];
        yield [{ worker: w.id, kind: 'broadcast' }, s.broadcastBlocks];
      }
    });
    gauge('sluice_worker_block_memory_bytes', 'Bytes of blocks a worker holds in memory.', W, perWorker((w) => w.storage?.memoryBytes));
    gauge('sluice_worker_block_memory_limit_bytes', 'Bytes of blocks a worker keeps in memory before spilling (--memory).', W, perWorker((w) => w.storage?.memoryLimitBytes));
    gauge('sluice_worker_block_disk_bytes', 'Bytes of blocks a worker spilled to its local disk.', W, perWorker((w) => w.storage?.diskBytes));
    gauge('sluice_worker_process_resident_memory_bytes', 'Resident set size of the worker process.', W, perWorker((w) => w.storage?.rssBytes));
    gauge('sluice_worker_process_heap_used_bytes', 'V8 heap in use in the worker process (main thread).', W, perWorker((w) => w.process?.heapUsedBytes));
    gauge('sluice_worker_process_heap_total_bytes', 'V8 heap reserved in the worker process (main thread).', W, perWorker((w) => w.process?.heapTotalBytes));
    gauge('sluice_worker_process_external_memory_bytes', 'Memory of C++ objects bound to JS in the worker process (Buffers included).', W, perWorker((w) => w.process?.externalBytes));
    total('sluice_worker_process_cpu_seconds_total', 'CPU time the worker process used, by mode (user, system).', [...W, 'mode'], function* () {
      for (const w of workers()) {
        if (!w.process) continue;
        yield [{ worker: w.id, mode: 'user' }, w.process.cpuUserSeconds];
        yield [{ worker: w.id, mode: 'system' }, w.process.cpuSystemSeconds];
      }
    });
    gauge('sluice_worker_event_loop_lag_mean_seconds', "Mean event-loop delay of the worker's main thread over its last heartbeat interval.", W, perWorker((w) => w.process?.eventLoopLagMeanSeconds));
    gauge('sluice_worker_event_loop_lag_p99_seconds', "99th percentile event-loop delay of the worker's main thread over its last heartbeat interval.", W, perWorker((w) => w.process?.eventLoopLagP99Seconds));
    gauge('sluice_worker_event_loop_lag_max_seconds', "Longest event-loop delay of the worker's main thread over its last heartbeat interval.", W, perWorker((w) => w.process?.eventLoopLagMaxSeconds));

    const J = ['job_id', 'job_name'] as const;
    const perJob = (f: (j: DriverJob) => number | undefined, only: (j: DriverJob) => boolean = () => true) =>
      function* (): Iterable<[Partial<Record<JobLabels, string>>, number]> {
        for (const j of jobs()) {
          if (!only(j)) continue;
          const v = f(j);
          if (v !== undefined) yield [jobLabels(j), v];
        }
      };
    const streaming = (j: DriverJob): boolean => j.streaming;
    gauge('sluice_job_running', 'Whether a job is running (1) or ended (0).', J, perJob((j) => (j.state === 'running' ? 1 : 0)));
    gauge('sluice_receivers_up', "Receivers of a streaming job running on a worker now.", J, perJob((j) => (j.state === 'running' ? j.receiverWorkers().length : 0), streaming));
    const activeBatches = (j: DriverJob, status: 'QUEUED' | 'PROCESSING'): number => (j.state === 'running' ? j.progress.activeBatches().filter((b) => b.status === status).length : 0);
    gauge('sluice_streaming_queued_batches', 'Batches generated and waiting for an earlier one to finish (Spark: waitingBatches).', J, perJob((j) => activeBatches(j, 'QUEUED'), streaming));
    gauge('sluice_streaming_processing_batches', 'Batches whose output operations are running (Spark: runningBatches).', J, perJob((j) => activeBatches(j, 'PROCESSING'), streaming));
    gauge(
      'sluice_streaming_rate_limit_records_per_second',
      'Records per second an input takes in as backpressure (the PID estimator) set it last; absent with backpressure off or before the first estimate.',
      [...J, 'stream_id', 'input', 'kind'],
      function* () {
        for (const j of jobs()) {
          if (j.state !== 'running') continue;
          for (const r of j.inputRates()) yield [{ ...jobLabels(j), stream_id: String(r.streamId), input: r.name, kind: r.kind }, r.rate];
        }
      },
    );
    gauge('sluice_last_batch_input_records', 'Input records of the last completed batch.', J, perJob((j) => j.lastBatch?.numRecords ?? 0, streaming));
    gauge('sluice_last_batch_scheduling_delay_ms', 'Scheduling delay of the last completed batch.', J, perJob((j) => j.lastBatch?.schedulingDelay ?? 0, streaming));
    gauge('sluice_last_batch_processing_time_ms', 'Processing time of the last completed batch.', J, perJob((j) => j.lastBatch?.processingDelay ?? 0, streaming));
    gauge('sluice_last_batch_total_delay_ms', 'Total delay of the last completed batch.', J, perJob((j) => j.lastBatch?.totalDelay ?? 0, streaming));
  }
}
