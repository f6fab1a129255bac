// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface PutBlockResponse {
  'size'?: (number | string | Long);
}

export interface PutBlockResponse__Output {
  'size': (number);
}
