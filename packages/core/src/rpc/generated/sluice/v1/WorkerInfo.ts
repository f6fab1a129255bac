// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkerInfo {
  'worker_id'?: (string);
  'address'?: (string);
  'cores'?: (number);
  'running_tasks'?: (number);
  'tasks_completed'?: (number | string | Long);
  'last_heartbeat_ms_ago'?: (number | string | Long);
  'receivers'?: (number);
}

export interface WorkerInfo__Output {
  'worker_id': (string);
  'address': (string);
  'cores': (number);
  'running_tasks': (number);
  'tasks_completed': (number);
  'last_heartbeat_ms_ago': (number);
  'receivers': (number);
}
