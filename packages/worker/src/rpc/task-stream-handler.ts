import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeDirect, type wire } from '@sluice/core/internal';
import type { Executor } from '../executor/executor.js';

/** An outcome batch is written at once when its results hold this many bytes (else at the end of the turn). */
const FLUSH_BYTES = 1024 * 1024;
/** Outcomes held while the driver has tasks queued here beyond the cores (see `done`) are written this long after the first at the latest. */
export const HOLD_OUTCOMES_MS = 2;

let nextStream = 0;

/**
 * The worker's side of one RunTasks stream (the driver keeps one open per worker): keeps
 * the stage descriptions the driver sent on it, runs each task it launches with its
 * stage, removes the blocks it is told to (as RemoveBlocks), and writes the outcomes of the tasks that ended in one turn of the event loop
 * as one message.
 *
 * While more of the stream's tasks are here than the worker has cores (the driver's
 * pipelining queued some beyond them), outcomes are held until that is no longer so, or
 * HOLD_OUTCOMES_MS after the first: the driver refills a worker's queue only once every
 * queued task there has started, so an outcome that comes while others are still queued
 * changes nothing there but its message count. Tiny tasks' outcomes then go `cores` to a
 * message, and the driver's refill likewise.
 *
 * Invariants: a stage key names one stage description for the life of the stream (the
 * executor sees it prefixed with this stream's number, so stages of different streams, a
 * restarted driver's included, never meet); when the stream ends, its stages are
 * forgotten, and the tasks it launched that have not ended are killed (Spark's executor
 * kills its tasks when its driver is gone): the driver counts them lost once the stream
 * fails, and a driver killed with -9 would otherwise leave them running here, holding a
 * core and whatever they opened (a database connection, a spinning thread), until they end
 * on their own. A task of an unknown stage fails (a driver bug), it is not dropped.
 * Threading: the worker's main thread.
 */
export function handleTaskStream(
  call: grpc.ServerDuplexStream<wire.TaskBatch__Output, wire.TaskOutcomeBatch>,
  executor: Pick<Executor, 'cores' | 'launch' | 'removeBlocks' | 'forgetStage' | 'killStream'>,
  log: Logger,
  holdMs = HOLD_OUTCOMES_MS,
): void {
  const prefix = `${nextStream++}:`;
  const stages = new Map<string, wire.StageDescription__Output>();
  let ended: wire.TaskEnded[] = [];
  let endedBytes = 0;
  let flushScheduled = false;
  /** Writes held outcomes (HOLD_OUTCOMES_MS). */
  let holdTimer: NodeJS.Timeout | undefined;
  /** Tasks launched on this stream whose outcome was not yet added to a batch. */
  let inFlight = 0;
  let open = true;
  /** Aborted when the stream closes: its tasks still waiting for their bundle do not start. */
  const closed = new AbortController();

  const flush = (): void => {
    flushScheduled = false;
    clearTimeout(holdTimer);
    holdTimer = undefined;
    if (ended.length === 0) return;
    const batch = ended;
    ended = [];
    endedBytes = 0;
    // Encoded here, as the executor made the outcomes (plain strings, numbers, bytes): no
    // protobufjs fromObject copy of each first. The services' serializer passes it through.
    if (open) call.write(encodeDirect('TaskOutcomeBatch', { ended: batch }) as unknown as wire.TaskOutcomeBatch);
  };
  const done = (taskId: string, outcome: wire.TaskOutcome): void => {
    inFlight--;
    const bytes = outcome.result?.length ?? 0;
    // A large result goes in a message of its own: a batch stays under the driver's message limit whenever each result does.
    if (bytes >= FLUSH_BYTES) flush();
    ended.push({ task_id: taskId, outcome });
    endedBytes += bytes;
    if (endedBytes >= FLUSH_BYTES) flush();
    else if (inFlight > executor.cores) holdTimer ??= setTimeout(flush, holdMs);
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  call.on('data', (m: wire.TaskBatch__Output) => {
    for (const s of m.stages) stages.set(s.stage_key, s);
    inFlight += m.tasks.length;
    for (const t of m.tasks) {
      const s = stages.get(t.stage_key);
      if (!s) {
        done(t.task_id, { error: { code: 'SLUICE_INTERNAL', message: `the worker has no stage ${t.stage_key} on this task stream (a driver bug)`, stack: '' } });
        continue;
      }
      executor
        .launch({
          taskId: t.task_id,
          jobId: s.job_id,
          bundleSha256: s.bundle_sha256,
          stageId: s.stage_id,
          shuffleId: s.shuffle_id,
          stageKey: prefix + s.stage_key,
          stagePayload: s.payload,
          partition: t.partition,
          taskData: t.task_data,
          files: s.files,
          // Read when the job's sandbox is made here (its first task); empty: none.
          executorEnv: s.executor_env,
          signal: closed.signal,
        })
        .then(
          (outcome) => done(t.task_id, outcome),
          (err: Error) => {
            log.error({ err, taskId: t.task_id }, 'launch failed');
            done(t.task_id, { error: { code: 'SLUICE_INTERNAL', message: `the worker could not run the task: ${err.message}`, stack: '' } });
          },
        );
    }
    // Blocks the driver no longer needs (as Worker.RemoveBlocks).
    // A removal that throws (a spilled block's file that cannot be deleted) is logged: thrown
    // here, in the stream's event, it would end the worker.
    if (m.remove_block_ids.length > 0 || m.remove_block_prefixes.length > 0) {
      try {
        executor.removeBlocks(m.remove_block_ids, m.remove_block_prefixes);
      } catch (err) {
        log.warn({ err }, 'cannot remove blocks the driver no longer needs');
      }
    }
    for (const key of m.forget_stages) {
      const s = stages.get(key);
      if (!s) continue;
      stages.delete(key);
      executor.forgetStage(s.job_id, prefix + key);
    }
  });
  const close = (): void => {
    if (!open) return;
    open = false;
    clearTimeout(holdTimer);
    holdTimer = undefined;
    closed.abort();
    if (inFlight > 0) {
      const killed = executor.killStream(prefix);
      log.info({ tasks: inFlight, killed }, 'task stream closed with tasks running (the driver is gone or gave them up): killed them');
    }
    for (const [key, s] of stages) executor.forgetStage(s.job_id, prefix + key);
    stages.clear();
  };
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('cancelled', close);
  call.on('error', (err) => {
    log.debug({ err }, 'task stream failed');
    close();
  });
}
