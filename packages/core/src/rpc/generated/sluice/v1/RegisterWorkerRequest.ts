// Original file: proto/sluice/v1/sluice.proto

import type { WorkerStorage as _sluice_v1_WorkerStorage, WorkerStorage__Output as _sluice_v1_WorkerStorage__Output } from '../../sluice/v1/WorkerStorage';

export interface RegisterWorkerRequest {
  'worker_id'?: (string);
  'host'?: (string);
  'port'?: (number);
  'cores'?: (number);
  'storage'?: (_sluice_v1_WorkerStorage | null);
  'sluice_version'?: (string);
  'protocol'?: (string);
  'worker_instance'?: (string);
}

export interface RegisterWorkerRequest__Output {
  'worker_id': (string);
  'host': (string);
  'port': (number);
  'cores': (number);
  'storage': (_sluice_v1_WorkerStorage__Output | null);
  'sluice_version': (string);
  'protocol': (string);
  'worker_instance': (string);
}
