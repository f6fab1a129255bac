// Original file: proto/sluice/v1/sluice.proto

import type { MovedBlock as _sluice_v1_MovedBlock, MovedBlock__Output as _sluice_v1_MovedBlock__Output } from '../../sluice/v1/MovedBlock';
import type { MovedMapOutput as _sluice_v1_MovedMapOutput, MovedMapOutput__Output as _sluice_v1_MovedMapOutput__Output } from '../../sluice/v1/MovedMapOutput';
import type { Long } from '@grpc/proto-loader';

export interface MigrateBlocksResponse {
  'blocks'?: (_sluice_v1_MovedBlock)[];
  'map_outputs'?: (_sluice_v1_MovedMapOutput)[];
  'bytes'?: (number | string | Long);
  'failed'?: (number);
}

export interface MigrateBlocksResponse__Output {
  'blocks': (_sluice_v1_MovedBlock__Output)[];
  'map_outputs': (_sluice_v1_MovedMapOutput__Output)[];
  'bytes': (number);
  'failed': (number);
}
