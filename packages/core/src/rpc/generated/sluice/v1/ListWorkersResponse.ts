// Original file: proto/sluice/v1/sluice.proto

import type { WorkerInfo as _sluice_v1_WorkerInfo, WorkerInfo__Output as _sluice_v1_WorkerInfo__Output } from '../../sluice/v1/WorkerInfo';

export interface ListWorkersResponse {
  'workers'?: (_sluice_v1_WorkerInfo)[];
}

export interface ListWorkersResponse__Output {
  'workers': (_sluice_v1_WorkerInfo__Output)[];
}
