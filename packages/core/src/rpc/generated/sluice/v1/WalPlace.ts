// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface WalPlace {
  'path'?: (string);
  'offset'?: (number | string | Long);
  'length'?: (number | string | Long);
}

export interface WalPlace__Output {
  'path': (string);
  'offset': (number);
  'length': (number);
}
