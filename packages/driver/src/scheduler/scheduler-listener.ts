import type { ActionSpec, OutputOperationTag } from '@sluice/core/internal';

/** What an action was run for, given with it to the DAG scheduler (Spark's job properties). */
export interface JobProperties {
  /** The streaming output operation (and batch) the action runs for. */
  readonly outputOperation?: OutputOperationTag;
}

/** How one task attempt ended, as the status store counts it. */
export type TaskEndReason = 'success' | 'failed' | 'fetchFailed' | 'killed' | 'workerLost';

/**
 * The DAG scheduler's events, as Spark's SparkListener events (onJobStart, onStageSubmitted,
 * onTaskEnd, onStageCompleted, onJobEnd). `runId` is the job attempt's id on the cluster;
 * `jobId` numbers actions (Spark's job id), from 0 across the driver.
 */
export type SchedulerEvent =
  | {
      readonly type: 'jobStart';
      readonly runId: string;
      readonly jobId: number;
      readonly time: number;
      /** 'count', 'foreach at job.ts:12:5', ... */
      readonly name: string;
      readonly numPartitions: number;
      readonly properties: JobProperties;
    }
  | {
      readonly type: 'stageSubmitted';
      readonly runId: string;
      readonly jobId: number;
      readonly stageId: number;
      readonly attempt: number;
      readonly kind: 'result' | 'shuffleMap';
      readonly numTasks: number;
      readonly time: number;
    }
  | {
      readonly type: 'taskEnd';
      readonly runId: string;
      readonly stageId: number;
      readonly attempt: number;
      readonly taskId: string;
      readonly partition: number;
      readonly workerId: string;
      readonly durationMs: number;
      readonly reason: TaskEndReason;
      /** The user's error (its stack mapped to their files) when the task failed. */
      readonly error?: { readonly message: string; readonly stack: string };
      readonly shuffleReadBytes: number;
      readonly shuffleWriteBytes: number;
      readonly time: number;
    }
  | { readonly type: 'stageCompleted'; readonly runId: string; readonly stageId: number; readonly attempt: number; readonly time: number; readonly failure?: string }
  | { readonly type: 'jobEnd'; readonly runId: string; readonly jobId: number; readonly time: number; readonly failure?: string };

export interface SchedulerListener {
  onSchedulerEvent(e: SchedulerEvent): void;
}

/** How the UI names an action's job: its kind, and where the user's function was given (Spark's "foreach at App.scala:12"). */
export function actionName(action: ActionSpec): string {
  const fn = 'fn' in action ? action.fn : 'seqOp' in action ? action.seqOp : undefined;
  return fn && fn.callSite !== '<unknown>' ? `${action.kind} at ${fn.callSite}` : action.kind;
}
