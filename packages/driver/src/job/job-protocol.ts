import type { ActionSpec, JobRunResult, LineageGraph } from '@sluice/core/internal';

/** Data the driver program's thread starts with. */
export interface JobThreadData {
  readonly jobId: string;
  readonly bundlePath: string;
  readonly args: readonly string[];
  /** Total worker cores when the job started: the default number of partitions. */
  readonly parallelism: number;
}

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly stack: string;
}

export type JobToMain =
  | { readonly type: 'runJob'; readonly reqId: number; readonly graph: LineageGraph; readonly action: ActionSpec; readonly partitions: readonly number[] }
  | { readonly type: 'removeRdd'; readonly reqId: number; readonly rddId: number }
  | { readonly type: 'done' }
  | ({ readonly type: 'failed' } & ErrorInfo);

export type MainToJob =
  | { readonly type: 'jobResult'; readonly reqId: number; readonly result: JobRunResult }
  | ({ readonly type: 'jobError'; readonly reqId: number } & ErrorInfo)
  | { readonly type: 'ack'; readonly reqId: number };
