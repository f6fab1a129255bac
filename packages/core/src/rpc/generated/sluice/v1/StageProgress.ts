// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface StageProgress {
  'stage_id'?: (number);
  'stage_attempt'?: (number);
  'num_tasks'?: (number);
  'completed_tasks'?: (number);
  'running_tasks'?: (number);
  'failed_attempts'?: (number);
  'submitted_ms_ago'?: (number | string | Long);
}

export interface StageProgress__Output {
  'stage_id': (number);
  'stage_attempt': (number);
  'num_tasks': (number);
  'completed_tasks': (number);
  'running_tasks': (number);
  'failed_attempts': (number);
  'submitted_ms_ago': (number);
}
