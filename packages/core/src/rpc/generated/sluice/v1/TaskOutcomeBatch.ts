// Original file: proto/sluice/v1/sluice.proto

import type { TaskEnded as _sluice_v1_TaskEnded, TaskEnded__Output as _sluice_v1_TaskEnded__Output } from '../../sluice/v1/TaskEnded';

export interface TaskOutcomeBatch {
  'ended'?: (_sluice_v1_TaskEnded)[];
}

export interface TaskOutcomeBatch__Output {
  'ended': (_sluice_v1_TaskEnded__Output)[];
}
