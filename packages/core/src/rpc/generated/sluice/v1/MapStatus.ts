// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface MapStatus {
  'sizes'?: (number | string | Long)[];
}

export interface MapStatus__Output {
  'sizes': (number)[];
}
