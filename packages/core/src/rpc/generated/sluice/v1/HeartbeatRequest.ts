// Original file: proto/sluice/v1/sluice.proto

import type { WorkerStorage as _sluice_v1_WorkerStorage, WorkerStorage__Output as _sluice_v1_WorkerStorage__Output } from '../../sluice/v1/WorkerStorage';
import type { WorkerProcess as _sluice_v1_WorkerProcess, WorkerProcess__Output as _sluice_v1_WorkerProcess__Output } from '../../sluice/v1/WorkerProcess';

export interface HeartbeatRequest {
  'worker_id'?: (string);
  'running_task_ids'?: (string)[];
  'storage'?: (_sluice_v1_WorkerStorage | null);
  'process'?: (_sluice_v1_WorkerProcess | null);
  'dropped_rdd_blocks'?: (string)[];
  'spilled_rdd_blocks'?: (string)[];
}

export interface HeartbeatRequest__Output {
  'worker_id': (string);
  'running_task_ids': (string)[];
  'storage': (_sluice_v1_WorkerStorage__Output | null);
  'process': (_sluice_v1_WorkerProcess__Output | null);
  'dropped_rdd_blocks': (string)[];
  'spilled_rdd_blocks': (string)[];
}
