// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface IndirectResult {
  'block_id'?: (string);
  'size'?: (number | string | Long);
}

export interface IndirectResult__Output {
  'block_id': (string);
  'size': (number);
}
