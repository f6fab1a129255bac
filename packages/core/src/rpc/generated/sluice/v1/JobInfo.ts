// Original file: proto/sluice/v1/sluice.proto

import type { StageProgress as _sluice_v1_StageProgress, StageProgress__Output as _sluice_v1_StageProgress__Output } from '../../sluice/v1/StageProgress';
import type { Long } from '@grpc/proto-loader';

export interface JobInfo {
  'job_id'?: (string);
  'name'?: (string);
  'state'?: (string);
  'streaming'?: (boolean);
  'batches_completed'?: (number | string | Long);
  'last_processing_time_ms'?: (number | string | Long);
  'last_total_delay_ms'?: (number | string | Long);
  'last_batch_records'?: (number | string | Long);
  'started_ms_ago'?: (number | string | Long);
  'error'?: (string);
  'running_tasks'?: (number);
  'longest_task'?: (string);
  'longest_task_ms'?: (number | string | Long);
  'attempt'?: (number);
  'stages'?: (_sluice_v1_StageProgress)[];
  'falling_behind'?: (string);
  'last_receiver_error'?: (string);
  'last_receiver_error_ms_ago'?: (number | string | Long);
  'last_receiver_error_receiving_again'?: (boolean);
  'last_receiver_error_receiving_again_ms_ago'?: (number | string | Long);
  'restart_in_ms'?: (number | string | Long);
}

export interface JobInfo__Output {
  'job_id': (string);
  'name': (string);
  'state': (string);
  'streaming': (boolean);
  'batches_completed': (number);
  'last_processing_time_ms': (number);
  'last_total_delay_ms': (number);
  'last_batch_records': (number);
  'started_ms_ago': (number);
  'error': (string);
  'running_tasks': (number);
  'longest_task': (string);
  'longest_task_ms': (number);
  'attempt': (number);
  'stages': (_sluice_v1_StageProgress__Output)[];
  'falling_behind': (string);
  'last_receiver_error': (string);
  'last_receiver_error_ms_ago': (number);
  'last_receiver_error_receiving_again': (boolean);
  'last_receiver_error_receiving_again_ms_ago': (number);
  'restart_in_ms': (number);
}
