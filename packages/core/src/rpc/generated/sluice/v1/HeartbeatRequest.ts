// Original file: proto/sluice/v1/sluice.proto

import type { WorkerStorage as _sluice_v1_WorkerStorage, WorkerStorage__Output as _sluice_v1_WorkerStorage__Output } from '../../sluice/v1/WorkerStorage';

export interface HeartbeatRequest {
  'worker_id'?: (string);
  'running_task_ids'?: (string)[];
  'storage'?: (_sluice_v1_WorkerStorage | null);
}

export interface HeartbeatRequest__Output {
  'worker_id': (string);
  'running_task_ids': (string)[];
  'storage': (_sluice_v1_WorkerStorage__Output | null);
}
