// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkerProcess {
  'heap_used_bytes'?: (number | string | Long);
  'heap_total_bytes'?: (number | string | Long);
  'external_bytes'?: (number | string | Long);
  'cpu_user_seconds'?: (number | string);
  'cpu_system_seconds'?: (number | string);
  'event_loop_lag_mean_seconds'?: (number | string);
  'event_loop_lag_p99_seconds'?: (number | string);
  'event_loop_lag_max_seconds'?: (number | string);
}

export interface WorkerProcess__Output {
  'heap_used_bytes': (number);
  'heap_total_bytes': (number);
  'external_bytes': (number);
  'cpu_user_seconds': (number);
  'cpu_system_seconds': (number);
  'event_loop_lag_mean_seconds': (number);
  'event_loop_lag_p99_seconds': (number);
  'event_loop_lag_max_seconds': (number);
}
