// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface ReceiverReportResponse {
  'keep'?: (boolean);
  'rate_limit'?: (number | string);
  'applied_seq'?: (number | string | Long);
}

export interface ReceiverReportResponse__Output {
  'keep': (boolean);
  'rate_limit': (number);
  'applied_seq': (number);
}
