// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchJobRequest {
  'job_id'?: (string);
  'after_line'?: (number | string | Long);
  'output_epoch'?: (string);
}

export interface WatchJobRequest__Output {
  'job_id': (string);
  'after_line': (number);
  'output_epoch': (string);
}
