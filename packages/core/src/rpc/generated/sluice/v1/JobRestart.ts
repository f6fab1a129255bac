// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface JobRestart {
  'failed_attempt'?: (number);
  'next_attempt'?: (number);
  'max_attempts'?: (number);
  'code'?: (string);
  'message'?: (string);
  'failed_at_ms'?: (number | string | Long);
  'delay_ms'?: (number | string | Long);
}

export interface JobRestart__Output {
  'failed_attempt': (number);
  'next_attempt': (number);
  'max_attempts': (number);
  'code': (string);
  'message': (string);
  'failed_at_ms': (number);
  'delay_ms': (number);
}
