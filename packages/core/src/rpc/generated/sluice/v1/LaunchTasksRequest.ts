// Original file: proto/sluice/v1/sluice.proto

import type { TaskDescription as _sluice_v1_TaskDescription, TaskDescription__Output as _sluice_v1_TaskDescription__Output } from '../../sluice/v1/TaskDescription';

export interface LaunchTasksRequest {
  'tasks'?: (_sluice_v1_TaskDescription)[];
}

export interface LaunchTasksRequest__Output {
  'tasks': (_sluice_v1_TaskDescription__Output)[];
}
