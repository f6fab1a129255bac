// Original file: proto/sluice/v1/sluice.proto

import type { WorkerStorage as _sluice_v1_WorkerStorage, WorkerStorage__Output as _sluice_v1_WorkerStorage__Output } from '../../sluice/v1/WorkerStorage';
import type { Long } from '@grpc/proto-loader';

export interface WorkerInfo {
  'worker_id'?: (string);
  'address'?: (string);
  'cores'?: (number);
  'running_tasks'?: (number);
  'tasks_completed'?: (number | string | Long);
  'last_heartbeat_ms_ago'?: (number | string | Long);
  'receivers'?: (number);
  'storage'?: (_sluice_v1_WorkerStorage | null);
  'decommission'?: (string);
}

export interface WorkerInfo__Output {
  'worker_id': (string);
  'address': (string);
  'cores': (number);
  'running_tasks': (number);
  'tasks_completed': (number);
  'last_heartbeat_ms_ago': (number);
  'receivers': (number);
  'storage': (_sluice_v1_WorkerStorage__Output | null);
  'decommission': (string);
}
