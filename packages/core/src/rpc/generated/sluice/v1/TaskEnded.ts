// Original file: proto/sluice/v1/sluice.proto

import type { TaskOutcome as _sluice_v1_TaskOutcome, TaskOutcome__Output as _sluice_v1_TaskOutcome__Output } from '../../sluice/v1/TaskOutcome';

export interface TaskEnded {
  'task_id'?: (string);
  'outcome'?: (_sluice_v1_TaskOutcome | null);
}

export interface TaskEnded__Output {
  'task_id': (string);
  'outcome': (_sluice_v1_TaskOutcome__Output | null);
}
