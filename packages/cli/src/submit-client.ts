import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, SluiceError, channelCredentials, chunks, loadProto, secretMetadata, splitHostPort, unreachableReason, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { JobBundle } from './bundle-job.js';
import { formatWait } from '@sluice/driver/defaults';
import { escapeControl } from './terminal-text.js';

export interface JobOutcome {
  readonly jobId: string | undefined;
  readonly ok: boolean;
  /** The job was stopped (`sluice stop`, gracefully or not) and ended without failing. */
  readonly stopped?: 'graceful' | 'now';
  /**
   * With `stopped`: the stop was cut short by its bound (spark.streaming.gracefulStopTimeout),
   * the program cancelled with batches not run; what the job's error says they left (pending
   * in the checkpoint, or lost without one). The job still ended stopped, as asked.
   */
  readonly stopCutShort?: string;
  readonly failure?: { readonly code: string; readonly message: string; readonly stack: string };
}

export function driverClient(address: string, security: SecurityConfig): wire.DriverClient {
  return new (loadProto().sluice.v1.Driver)(address, channelCredentials(security), CHANNEL_OPTIONS);
}

/** A driver call's failure, in words a user can act on. */
export function callError(err: grpc.ServiceError, address: string): SluiceError {
  if (err.code === grpc.status.UNAUTHENTICATED) return new SluiceError('SLUICE_UNAUTHENTICATED', `the driver at ${address} ${err.details}`, { cause: err });
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    return new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${address} (${err.details}); check --driver and that \`sluice driver\` is running there`, { cause: err });
  }
  return new SluiceError('SLUICE_INTERNAL', `driver call failed: ${err.details || err.message}`, { cause: err });
}

/**
 * First make sure something answers at `address`, so a wrong address fails in seconds, saying why.
 * A refused connection (nothing listens there) fails at once, as spark-submit's does; only a
 * silent address (a host down, a firewall dropping packets, a paused driver) is waited out for
 * `timeoutMs`.
 */
export function waitReady(client: grpc.Client, address: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string, refused: boolean): void => {
      if (settled) return;
      settled = true;
      // `why` says the connection was refused; a silent address names the wait.
      const waited = refused ? '' : ` (no gRPC connection within ${timeoutMs} ms)`;
      reject(new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${address}${waited}: ${why}`));
    };
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      if (settled) return;
      if (!err) {
        settled = true;
        return resolve();
      }
      void unreachableReason(address).then((why) => fail(why, false));
    });
    void connectionRefused(address).then((refused) => {
      if (refused && !settled) void unreachableReason(address).then((why) => fail(why, true));
    });
  });
}

/** A plain TCP connection to `address` is refused (ECONNREFUSED): nothing listens on that port. */
function connectionRefused(address: string): Promise<boolean> {
  const hp = splitHostPort(address);
  if (!hp) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hp.host, port: Number(hp.port) });
    const done = (refused: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), 2000);
    socket.once('connect', () => done(false));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
}

export interface SubmitOptions {
  readonly args: readonly string[];
  /** The job's name (default: the bundle's, the job file's name). */
  readonly name?: string;
  /** Each line the job prints. */
  /** A line the job printed; `stderr`: on its standard error. */
  readonly onOutput: (line: string, stderr: boolean) => void;
  readonly onJobId?: (id: string) => void;
  /** What the client does about its connection (lost, reconnected), for the user's terminal. */
  readonly onNotice?: (message: string) => void;
  /** Print the job id and return; the job keeps running. */
  readonly detach?: boolean;
  readonly taskTimeoutMs?: number;
  /** --conf spark.default.parallelism: the job's sc.defaultParallelism (the driver's when unset). */
  readonly defaultParallelism?: number;
  /** --conf spark.executorEnv.NAME=value: the job's tasks' and receivers' environment variables (ExecutorEnv). */
  readonly executorEnv?: Readonly<Record<string, string>>;
  /** Restart the program when it fails (at most maxRestarts times; the driver's default when not given). */
  readonly supervise?: boolean;
  readonly maxRestarts?: number;
  /** The directory the job's relative paths resolve against (default: this process's working directory). */
  readonly workingDir?: string;
  /** Give up attaching again after this long without the driver (default 10 min). */
  readonly reconnectWindowMs?: number;
  /** ... or after the driver's port refused connections this long (default 60 s: it is gone). */
  readonly refusedWindowMs?: number;
}

/** One SubmitJob or WatchJob stream: how it ended. */
type StreamEnd = { readonly kind: 'outcome'; readonly outcome: JobOutcome } | { readonly kind: 'broken'; readonly err: grpc.ServiceError | undefined; readonly jobId: string | undefined };

/**
 * Send a bundle to a running driver and stream the job's output lines to `onOutput`
 * until it ends. When the stream breaks while the job runs (the driver paused, a
 * connection dropped), attach again with WatchJob, from the last line seen, retrying
 * with backoff: the job's output goes on with no line lost or repeated (of the last
 * 10,000 the driver keeps), and the command ends with the job.
 */
export async function submitJob(address: string, security: SecurityConfig, bundle: JobBundle, opts: SubmitOptions): Promise<JobOutcome> {
  return followJob(address, security, opts, async (client, follow) => {
    await waitReady(client, address, 5000);
    const submit = client.SubmitJob(secretMetadata(security.secret));
    const first = follow(submit, opts.detach === true);
    submit.write({ header: { name: opts.name ?? bundle.name, bundle_sha256: bundle.sha256, bundle_size: bundle.code.length, args: [...opts.args], task_timeout_ms: opts.taskTimeoutMs ?? 0, supervise: opts.supervise === true, max_restarts: opts.maxRestarts ?? 0, working_dir: opts.workingDir ?? process.cwd(), default_parallelism: opts.defaultParallelism ?? 0, executor_env: { ...opts.executorEnv } } });
    for (const c of chunks(bundle.code)) submit.write({ bundle_chunk: c });
    for (const c of chunks(Buffer.from(bundle.sourceMap, 'utf8'))) submit.write({ source_map_chunk: c });
    submit.end();
    const end = await first;
    // The job was not created (or its id never arrived): the submission failed.
    if (end.kind === 'broken' && end.jobId === undefined) throw end.err ? callError(end.err, address) : new SluiceError('SLUICE_UNREACHABLE', `the driver at ${address} closed the submission before it answered with a job id`);
    return end;
  });
}

/**
 * Attach to a job running on (or kept by) a driver, as `sluice attach` does after `sluice submit
 * --detach`: its output lines the driver kept (the last 10,000) to `onOutput`, then its live
 * ones, until it ends, with the same reattaching as an attached submit's when the stream
 * breaks. A job the driver does not have fails with SLUICE_BAD_ARGUMENT naming it.
 */
export async function attachJob(address: string, security: SecurityConfig, jobId: string, opts: FollowOptions): Promise<JobOutcome> {
  return followJob(address, security, opts, async (client, follow) => {
    await waitReady(client, address, 5000);
    const end = await follow(client.WatchJob({ job_id: jobId, after_line: 0, output_epoch: '' }, secretMetadata(security.secret)), false);
    if (end.kind === 'broken' && end.jobId === undefined) {
      if (end.err?.code === grpc.status.NOT_FOUND) throw new SluiceError('SLUICE_BAD_ARGUMENT', missingJobMessage(address, jobId, end.err.details), { cause: end.err });
      throw end.err ? callError(end.err, address) : new SluiceError('SLUICE_UNREACHABLE', `the driver at ${address} closed the stream of job ${jobId} before it answered`);
    }
    return end;
  });
}

/** What following a job's output needs: where its lines and notices go. */
export interface FollowOptions {
  readonly onOutput: (line: string, stderr: boolean) => void;
  readonly onJobId?: (jobId: string) => void;
  readonly onNotice?: (message: string) => void;
  readonly reconnectWindowMs?: number;
  readonly refusedWindowMs?: number;
}

/**
 * A stopped job's outcome with what its stop left when the stop was cut short by its bound: the
 * event stream says only `stopped`, the job's error (ListJobs, as `sluice jobs` shows it) says
 * which batches did not run. A driver that does not answer leaves the outcome as it was.
 */
async function withStopCutShort(address: string, security: SecurityConfig, outcome: JobOutcome): Promise<JobOutcome> {
  if (outcome.stopped === undefined || outcome.jobId === undefined) return outcome;
  try {
    const error = (await listJobs(address, security)).find((j) => j.job_id === outcome.jobId)?.error ?? '';
    return error === '' ? outcome : { ...outcome, stopCutShort: error.split('\n')[0] };
  } catch {
    return outcome;
  }
}

/**
 * Follow one job's event stream, opened by `open` (SubmitJob or WatchJob), to the job's end:
 * when the stream breaks while the job runs (the driver paused, a connection dropped), attach
 * again with WatchJob from the last line seen, retrying with backoff.
 */
async function followJob(
  address: string,
  security: SecurityConfig,
  opts: FollowOptions,
  open: (client: wire.DriverClient, follow: (call: grpc.ClientReadableStream<wire.JobEvent__Output>, cancelOnJobId: boolean) => Promise<StreamEnd>) => Promise<StreamEnd>,
): Promise<JobOutcome> {
  const client = driverClient(address, security);
  const notice = opts.onNotice ?? (() => undefined);
  let jobId: string | undefined;
  let lastLine = 0;
  /** What lastLine counts in: a driver that restarted (and relaunched the job) numbers its lines afresh. */
  let epoch = '';
  const onEvent = (e: wire.JobEvent__Output): JobOutcome | undefined => {
    if (e.event === 'job_id' && e.job_id) {
      if (jobId === undefined) opts.onJobId?.(e.job_id);
      else if (e.output_epoch !== epoch) {
        notice(`the driver at ${address} restarted and relaunched job ${e.job_id}; its output goes on from the relaunch`);
        lastLine = 0;
      }
      jobId = e.job_id;
      epoch = e.output_epoch;
    } else if (e.event === 'output' && e.output !== undefined) {
      const n = Number(e.line);
      if (n > 0 && n <= lastLine) return undefined; // seen before the stream broke
      if (n > lastLine + 1 && lastLine > 0) notice(`${n - lastLine - 1} lines of output of job ${jobId} were dropped while disconnected (the driver keeps the last 10,000)`);
      if (n > 0) lastLine = n;
      opts.onOutput(e.output, e.output_stderr === true);
    } else if (e.event === 'restart' && e.restart) {
      notice(restartNotice(jobId ?? '', e.restart));
    } else if (e.event === 'failure' && e.failure) return { jobId, ok: false, failure: e.failure };
    else if (e.event === 'done') return { jobId, ok: true };
    else if (e.event === 'stopped') return { jobId, ok: true, stopped: e.stopped === 'graceful' ? 'graceful' : 'now' };
    return undefined;
  };
  const follow = (call: grpc.ClientReadableStream<wire.JobEvent__Output>, cancelOnJobId: boolean): Promise<StreamEnd> =>
    new Promise((resolve) => {
      let settled = false;
      const settle = (end: StreamEnd): void => {
        if (settled) return;
        settled = true;
        resolve(end);
      };
      call.on('data', (e: wire.JobEvent__Output) => {
        const outcome = onEvent(e);
        if (outcome) settle({ kind: 'outcome', outcome });
        else if (cancelOnJobId && jobId !== undefined) {
          // --detach: the job runs on without us; the driver does not tie it to this stream.
          settle({ kind: 'outcome', outcome: { jobId, ok: true } });
          call.cancel();
        }
      });
      call.on('error', (err: grpc.ServiceError) => settle({ kind: 'broken', err, jobId }));
      call.on('end', () => settle({ kind: 'broken', err: undefined, jobId }));
    });
  try {
    let end = await open(client, follow);
    if (end.kind === 'outcome') return await withStopCutShort(address, security, end.outcome);
    if (jobId === undefined) throw new SluiceError('SLUICE_INTERNAL', `the driver at ${address} sent no job id`);
    // The job runs on the driver; only our stream broke. Attach again.
    const id = jobId;
    const reconnectWindow = opts.reconnectWindowMs ?? 10 * 60_000;
    const refusedWindow = opts.refusedWindowMs ?? 60_000;
    notice(`lost the stream of job ${id} from the driver at ${address} (${end.err?.details || 'it ended'}); the job runs on there; reconnecting`);
    const since = Date.now();
    let refusedSince: number | undefined;
    /** Said once per outage: the driver is not answering and we wait for it. */
    let saidWaiting = false;
    let backoff = 250;
    for (;;) {
      const watch = client.WatchJob({ job_id: id, after_line: lastLine, output_epoch: epoch }, secretMetadata(security.secret));
      let attached = false;
      watch.once('data', () => {
        attached = true;
        refusedSince = undefined;
        saidWaiting = false;
        backoff = 250;
        notice(`reconnected to job ${id} after ${((Date.now() - since) / 1000).toFixed(1)} s`);
      });
      end = await follow(watch, false);
      if (end.kind === 'outcome') return await withStopCutShort(address, security, end.outcome);
      const err = end.err;
      if (err?.code === grpc.status.NOT_FOUND) {
        throw new SluiceError(
          'SLUICE_JOB_LOST',
          `the driver at ${address} came back without job ${id} (${err.details}): it was restarted without --state-dir (or with another one), so it did not relaunch the job; submit it again, and start the driver with \`--state-dir DIR\` to have it relaunch its jobs after a restart`,
          { cause: err },
        );
      }
      if (err?.code === grpc.status.UNAUTHENTICATED) throw callError(err, address);
      if (attached) {
        notice(`lost the stream of job ${id} again (${err?.details || 'it ended'}); reconnecting`);
        continue;
      }
      const now = Date.now();
      if (!saidWaiting) {
        saidWaiting = true;
        // gRPC's own words for a refused connection end in an empty 'Resolution note: ': say what a TCP connection finds there instead.
        const why = err !== undefined && /ECONNREFUSED|No connection established/.test(err.details) ? await unreachableReason(address) : err?.details || 'no answer';
        notice(`waiting for the driver at ${address} to come back (${why}); retrying for up to ${Math.round(refusedWindow / 1000)} s of refused connections, ${Math.round(reconnectWindow / 60_000)} min in all`);
      }
      if (err && /ECONNREFUSED/.test(err.details)) refusedSince ??= now;
      else refusedSince = undefined;
      if (refusedSince !== undefined && now - refusedSince > refusedWindow) {
        throw new SluiceError('SLUICE_UNREACHABLE', `the driver at ${address} has refused connections for ${Math.round((now - refusedSince) / 1000)} s: it is gone, and job ${id} with it; check \`sluice driver\` there`);
      }
      if (now - since > reconnectWindow) {
        throw new SluiceError('SLUICE_UNREACHABLE', `could not reattach to job ${id} at ${address} for ${Math.round((now - since) / 1000)} s (${err?.details ?? 'no answer'}); it may still run: see \`sluice jobs --driver ${address}\``);
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(2000, backoff * 2);
    }
  } finally {
    client.close();
  }
}

/**
 * The line an attached `sluice submit --supervise` prints when the driver restarts its job:
 * which attempt failed, of how many, when (UTC, the driver's clock) and why, and the attempt
 * that starts.
 */
export function restartNotice(jobId: string, r: wire.JobRestart__Output): string {
  const firstLine = r.message.split('\n')[0]!;
  const why = firstLine.length > 500 ? `${firstLine.slice(0, 500)}...` : firstLine;
  const at = new Date(Number(r.failed_at_ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `job ${jobId} attempt ${r.failed_attempt} of ${r.max_attempts} failed at ${at}: [${r.code}] ${why}; --supervise starts attempt ${r.next_attempt} in ${formatWait(Number(r.delay_ms))}`;
}

/** One unary call to the driver: connect (failing fast when nothing answers), call, close. */
async function driverCall<T>(
  address: string,
  security: SecurityConfig,
  call: (client: wire.DriverClient, md: grpc.Metadata, options: grpc.CallOptions, done: (err: grpc.ServiceError | null, value?: T) => void) => void,
  deadlineMs = 5000,
): Promise<T> {
  const client = driverClient(address, security);
  try {
    await waitReady(client, address, 5000);
    return await new Promise<T>((resolve, reject) =>
      call(client, secretMetadata(security.secret), { deadline: Date.now() + deadlineMs }, (err, value) => (err ? reject(callError(err, address)) : resolve(value as T))),
    );
  } finally {
    client.close();
  }
}

export function listWorkers(address: string, security: SecurityConfig): Promise<wire.WorkerInfo__Output[]> {
  return driverCall(address, security, (c, md, o, done) => c.ListWorkers({}, md, o, (err, res) => done(err, res?.workers ?? [])));
}

export function listJobs(address: string, security: SecurityConfig): Promise<wire.JobInfo__Output[]> {
  return driverCall(address, security, (c, md, o, done) => c.ListJobs({}, md, o, (err, res) => done(err, res?.jobs ?? [])));
}

/** The driver's jobs, and (after its restart on a --state-dir) what it says of the earlier driver's jobs it does not have ('' when nothing). */
export function listJobsNoted(address: string, security: SecurityConfig): Promise<{ jobs: wire.JobInfo__Output[]; earlierJobs: string }> {
  return driverCall(address, security, (c, md, o, done) => c.ListJobs({}, md, o, (err, res) => done(err, { jobs: res?.jobs ?? [], earlierJobs: res?.earlier_jobs ?? '' })));
}

/**
 * Ask the driver to release a worker gracefully (Driver.DecommissionWorker); with `wait`,
 * resolves once it is decided (the driver's --decommission-timeout-ms bounds that).
 */
export function decommissionWorker(address: string, security: SecurityConfig, workerId: string, wait: boolean): Promise<wire.DecommissionWorkerResponse__Output> {
  return driverCall(
    address,
    security,
    (c, md, o, done) => c.DecommissionWorker({ worker_id: workerId, wait }, md, o, (err, res) => done(err, res)),
    wait ? 60 * 60_000 : 5000,
  );
}

/** Ask the driver to stop a job: found, or why the driver has no job of that id (`missing`). */
export function stopJob(address: string, security: SecurityConfig, jobId: string, graceful: boolean): Promise<{ found: boolean; missing: string }> {
  return driverCall(address, security, (c, md, o, done) => c.StopJob({ job_id: jobId, graceful }, md, o, (err, res) => done(err, { found: res?.found ?? false, missing: res?.missing ?? '' })));
}

/** A driver's answer that it has no job `jobId`, with its reason (missing-job.ts on the driver). */
export function missingJobMessage(address: string, jobId: string, reason: string): string {
  return `the driver at ${address} has no job '${escapeControl(jobId)}': ${escapeControl(reason)}; \`sluice jobs --driver ${address}\` lists the jobs it has`;
}
