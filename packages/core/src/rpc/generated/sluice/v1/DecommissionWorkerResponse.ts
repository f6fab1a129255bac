// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface DecommissionWorkerResponse {
  'found'?: (boolean);
  'state'?: (string);
  'receivers_moved'?: (number);
  'input_blocks_moved'?: (number);
  'rdd_blocks_moved'?: (number);
  'map_outputs_moved'?: (number);
  'bytes_moved'?: (number | string | Long);
  'message'?: (string);
}

export interface DecommissionWorkerResponse__Output {
  'found': (boolean);
  'state': (string);
  'receivers_moved': (number);
  'input_blocks_moved': (number);
  'rdd_blocks_moved': (number);
  'map_outputs_moved': (number);
  'bytes_moved': (number);
  'message': (string);
}
