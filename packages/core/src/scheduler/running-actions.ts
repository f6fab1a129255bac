import { AsyncLocalStorage } from 'node:async_hooks';
import { SluiceError } from '../errors.js';
import { currentOutputOperation } from '../streaming/output-operation-scope.js';
import { SCHEDULER_POOL } from './scheduler-pools.js';
import { ActionCancelled } from './action-cancelled.js';

/** One action running: the job group and tags it was started with, whether a streaming batch's output started it, and what cancels it. */
interface RunningAction {
  readonly group: string | undefined;
  readonly tags: ReadonlySet<string>;
  readonly streaming: boolean;
  readonly abort: AbortController;
}

/** Spark's local properties for job groups, descriptions and tags (SparkContext.SPARK_JOB_GROUP_ID, ...). */
export const JOB_GROUP_ID = 'spark.jobGroup.id';
export const JOB_DESCRIPTION = 'spark.job.description';
/**
 * Spark's RDD.CHECKPOINT_ALL_MARKED_ANCESTORS local property: "true" makes the checkpoint after a
 * job write every RDD of its lineage marked by checkpoint(), not only the marked RDDs nearest the
 * action (Spark's default); streaming jobs set it (Spark's JobHandler, SPARK-6847).
 */
export const CHECKPOINT_ALL_MARKED_ANCESTORS = 'spark.checkpoint.checkpointAllMarkedAncestors';
export const JOB_INTERRUPT_ON_CANCEL = 'spark.job.interruptOnCancel';
export const JOB_TAGS = 'spark.job.tags';
/** What separates tags in JOB_TAGS, and so cannot be in one (Spark's SPARK_JOB_TAGS_SEP). */
const TAGS_SEP = ',';
/** How many groups cancelJobGroupAndFutureJobs remembers, the oldest forgotten first (Spark's spark.scheduler.numCancelledJobGroupsToTrack). */
const CANCELLED_GROUPS_KEPT = 1000;

/**
 * The actions a driver program is running, with the job group and tags each was started with
 * (Spark's setJobGroup / cancelJobGroup / cancelJobGroupAndFutureJobs / addJobTag /
 * cancelJobsWithTag / cancelAllJobs), and the local properties they are read from (Spark's
 * setLocalProperty: the group, the description, the tags): cancelling an action aborts the
 * signal its job runs under, which kills its tasks (DAGScheduler.cancelAction). The driver
 * program is one thread, so the properties are the program's (Spark's are the calling
 * thread's), but for a streaming batch's output operations, which each run with their own
 * copy (runWithLocalProperties), as Spark's streaming jobs do on their threads.
 */
export class RunningActions {
  private readonly programProperties = new Map<string, string>();
  /** A streaming output operation's own properties (runWithLocalProperties), as Spark's job thread's. */
  private readonly scoped = new AsyncLocalStorage<Map<string, string>>();
  private readonly running = new Set<RunningAction>();
  /** Groups cancelled with their future jobs (insertion order: the oldest first). */
  private readonly cancelledGroups = new Set<string>();

  /** The properties the calling code sees: its output operation's, else the program's. */
  private get properties(): Map<string, string> {
    return this.scoped.getStore() ?? this.programProperties;
  }

  /** A copy of the properties the calling code sees now (Spark's StreamingContext saves them at its start). */
  snapshot(): Map<string, string> {
    return new Map(this.properties);
  }

  /**
   * Runs `fn` (and everything it awaits) with a copy of `properties` as its local
   * properties: what it sets stays its own, and the program's are untouched (Spark runs each
   * streaming job on a thread given a copy of the properties saved at the context's start).
   */
  runWithLocalProperties<T>(properties: ReadonlyMap<string, string>, fn: () => T): T {
    return this.scoped.run(new Map(properties), fn);
  }

  setLocalProperty(key: string, value: string | null | undefined): void {
    if (typeof key !== 'string' || key === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setLocalProperty: the key must be a non-empty string, got ${JSON.stringify(key) ?? String(key)}`);
    if (value === null || value === undefined) this.properties.delete(key);
    else if (typeof value !== 'string') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setLocalProperty('${key}'): the value must be a string (or null to remove it), got ${typeof value}`);
    else this.properties.set(key, value);
  }

  getLocalProperty(key: string): string | undefined {
    return this.properties.get(key);
  }

  setJobGroup(groupId: string, description: string | undefined, interruptOnCancel: boolean): void {
    if (typeof groupId !== 'string' || groupId === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setJobGroup: the group id must be a non-empty string, got ${JSON.stringify(groupId) ?? String(groupId)}`);
    this.setLocalProperty(JOB_DESCRIPTION, description);
    this.setLocalProperty(JOB_GROUP_ID, groupId);
    this.setLocalProperty(JOB_INTERRUPT_ON_CANCEL, String(interruptOnCancel));
  }

  clearJobGroup(): void {
    for (const k of [JOB_DESCRIPTION, JOB_GROUP_ID, JOB_INTERRUPT_ON_CANCEL]) this.properties.delete(k);
  }

  getJobTags(): Set<string> {
    return new Set((this.properties.get(JOB_TAGS) ?? '').split(TAGS_SEP).filter((t) => t !== ''));
  }

  addJobTag(tag: string): void {
    checkTag('addJobTag', tag);
    this.setTags(new Set([...this.getJobTags(), tag]));
  }

  removeJobTag(tag: string): void {
    checkTag('removeJobTag', tag);
    const tags = this.getJobTags();
    tags.delete(tag);
    this.setTags(tags);
  }

  clearJobTags(): void {
    this.properties.delete(JOB_TAGS);
  }

  private setTags(tags: ReadonlySet<string>): void {
    this.setLocalProperty(JOB_TAGS, tags.size === 0 ? undefined : [...tags].join(TAGS_SEP));
  }

  /**
   * Registers an action starting now in the current group, with the current tags; returns the
   * signal its job runs under (aborted by `signal` too, the action's own cancel), its
   * description, and the function that ends the entry. An action of a group cancelled with its
   * future jobs starts aborted, the signal's reason saying so.
   */
  start(signal: AbortSignal | undefined): { signal: AbortSignal; description: string | undefined; group: string | undefined; tags: readonly string[]; pool: string | undefined; done: () => void } {
    const group = this.properties.get(JOB_GROUP_ID);
    const entry = { group, tags: this.getJobTags(), streaming: currentOutputOperation() !== undefined, abort: new AbortController() };
    this.running.add(entry);
    const onAbort = (): void => entry.abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) entry.abort.abort();
    if (group !== undefined && this.cancelledGroups.has(group)) {
      entry.abort.abort(new SluiceError('SLUICE_CANCELLED', `the action was cancelled before its job started: part of cancelled job group ${group} (sc.cancelJobGroupAndFutureJobs); set another group, or clearJobGroup(), to run it`));
    }
    return {
      signal: entry.abort.signal,
      description: this.properties.get(JOB_DESCRIPTION),
      group,
      tags: [...entry.tags],
      pool: this.properties.get(SCHEDULER_POOL),
      done: () => {
        this.running.delete(entry);
        signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /** Cancels the running actions started in `groupId`; returns how many. */
  cancelJobGroup(groupId: string): number {
    return this.cancelWhere((e) => e.group === groupId, `part of cancelled job group ${groupId}`);
  }

  /** Cancels the running actions started in `groupId`, and every action started in it from now on; returns how many were running. */
  cancelJobGroupAndFutureJobs(groupId: string): number {
    if (typeof groupId !== 'string' || groupId === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.cancelJobGroupAndFutureJobs: the group id must be a non-empty string, got ${JSON.stringify(groupId) ?? String(groupId)}`);
    // As Spark's LimitedSizeFIFOSet (a LinkedHashSet): a group cancelled again keeps its place, the oldest goes first.
    this.cancelledGroups.add(groupId);
    if (this.cancelledGroups.size > CANCELLED_GROUPS_KEPT) this.cancelledGroups.delete(this.cancelledGroups.values().next().value as string);
    return this.cancelJobGroup(groupId);
  }

  /** Cancels the running actions started with `tag` among their tags; returns how many. */
  cancelJobsWithTag(tag: string): number {
    checkTag('cancelJobsWithTag', tag);
    return this.cancelWhere((e) => e.tags.has(tag), `part of cancelled job tags ${tag}`);
  }

  /** Cancels the running actions a streaming batch's output operations started; returns how many. */
  cancelStreaming(): number {
    return this.cancelWhere((e) => e.streaming);
  }

  /** Cancels every running action; returns how many. */
  cancelAll(): number {
    return this.cancelWhere(() => true, 'as part of cancellation of all jobs');
  }

  /** Cancels the running actions `which` picks that are not cancelled yet, `reason` (Spark's) said in their errors; returns how many. */
  private cancelWhere(which: (e: RunningAction) => boolean, reason?: string): number {
    let n = 0;
    for (const e of this.running) {
      if (which(e) && !e.abort.signal.aborted) {
        e.abort.abort(reason === undefined ? undefined : new ActionCancelled(reason));
        n++;
      }
    }
    return n;
  }
}

/** Spark's SparkContext.throwIfInvalidTag, as SLUICE_BAD_ARGUMENT. */
function checkTag(method: string, tag: unknown): void {
  const fail = (why: string): never => {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.${method}: ${why}`);
  };
  if (tag === null || tag === undefined) fail('Spark job tag cannot be null.');
  if (typeof tag !== 'string') fail(`a job tag is a string, got ${typeof tag}`);
  if ((tag as string).includes(TAGS_SEP)) fail(`Spark job tag cannot contain '${TAGS_SEP}'.`);
  if (tag === '') fail('Spark job tag cannot be an empty string.');
}
