import type { SluiceContext } from '../context.js';
import type { RDD } from '../rdd/rdd.js';
import { shufflesReachable } from '../rdd/shuffles-reachable.js';
import { runWithJobDescription } from '../scheduler/job-description-scope.js';

/** How long a StreamingContext's start waits for its warm-up job before its clock starts anyway. */
export const WARM_UP_TIMEOUT_MS = 5_000;
const MAX_WARM_UP_MAPS = 100;
const MAX_WARM_UP_REDUCERS = 50;
/**
 * The description the warm-up's action carries (Spark's job description): the driver's job
 * list and REST API show it for that job, which belongs to no batch.
 */
export const WARM_UP_JOB_DESCRIPTION = 'streaming warm-up';

/**
 * One small job with a shuffle, run once when a StreamingContext starts on a system clock,
 * before its first batch's time is fixed: as Spark's ReceiverTracker runs a dummy job
 * (`runDummySparkJob`: a map and a reduceByKey over 50 partitions) before it launches
 * receivers. Each worker binds task threads to the job and imports its bundle, and every
 * part of a shuffle stage (task launch and results, the map output's write, the remote
 * fetch, the driver's and the workers' code on that path) runs once, so the stream's first
 * batches do not pay for it. Paid by the first batch, that start left a backlog that short
 * batch intervals work off over many batches (at 50 ms batches, the slowest batches of a
 * whole run).
 *
 * Best effort: it resolves after `timeoutMs` even if the job has not finished (no worker
 * registered yet: the job waits on in the background, as the first batch would), and a
 * failure is logged and ignored (the stream's own batches report theirs). Its records are
 * numbers it makes itself; nothing of the stream's is read. Resolves with whether the job
 * ended (false: the wait timed out).
 */
export async function warmUpCluster(sc: SluiceContext, timeoutMs: number = WARM_UP_TIMEOUT_MS): Promise<boolean> {
  // Two map tasks for every core, so each worker's task threads all take one; bounded for
  // big clusters (Spark's dummy job: 50 map and 20 reduce tasks).
  const reducers = Math.min(sc.defaultParallelism, MAX_WARM_UP_REDUCERS);
  const maps = Math.min(2 * sc.defaultParallelism, MAX_WARM_UP_MAPS);
  const counts = sc.parallelize(range(4 * maps), maps).map(keyByRemainder).reduceByKey(sum, reducers);
  const count = runWithJobDescription(WARM_UP_JOB_DESCRIPTION, () => counts.count());
  // Nothing reads the warm-up's shuffle again: its map outputs go from the workers once the
  // job ends, not when this thread's collector next finalizes the RDD (which, in a job
  // thread that allocates little, may be never).
  const shuffleIds = [...shufflesReachable([counts as RDD<unknown>])];
  const job = count.then(
    () => {
      sc.removeShuffles(shuffleIds);
      return true;
    },
    (err: unknown) => {
      sc.removeShuffles(shuffleIds);
      sc.log('info', 'the streaming warm-up job failed; the stream starts without it', { component: 'streaming-context', reason: err instanceof Error ? err.message : String(err) });
      return true;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([job, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
  clearTimeout(timer);
  return ended;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function keyByRemainder(x: number): [number, number] {
  return [x % 16, 1];
}

function sum(a: number, b: number): number {
  return a + b;
}
