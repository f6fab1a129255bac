// Original file: proto/sluice/v1/sluice.proto

import type { StageDescription as _sluice_v1_StageDescription, StageDescription__Output as _sluice_v1_StageDescription__Output } from '../../sluice/v1/StageDescription';
import type { TaskLaunch as _sluice_v1_TaskLaunch, TaskLaunch__Output as _sluice_v1_TaskLaunch__Output } from '../../sluice/v1/TaskLaunch';

export interface TaskBatch {
  'stages'?: (_sluice_v1_StageDescription)[];
  'tasks'?: (_sluice_v1_TaskLaunch)[];
  'forget_stages'?: (string)[];
  'remove_block_ids'?: (string)[];
  'remove_block_prefixes'?: (string)[];
}

export interface TaskBatch__Output {
  'stages': (_sluice_v1_StageDescription__Output)[];
  'tasks': (_sluice_v1_TaskLaunch__Output)[];
  'forget_stages': (string)[];
  'remove_block_ids': (string)[];
  'remove_block_prefixes': (string)[];
}
