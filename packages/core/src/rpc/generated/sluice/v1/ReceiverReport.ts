// Original file: proto/sluice/v1/sluice.proto

import type { ReceiverEvent as _sluice_v1_ReceiverEvent, ReceiverEvent__Output as _sluice_v1_ReceiverEvent__Output } from '../../sluice/v1/ReceiverEvent';
import type { Long } from '@grpc/proto-loader';

export interface ReceiverReport {
  'job_id'?: (string);
  'stream_id'?: (number);
  'receiver_id'?: (string);
  'worker_id'?: (string);
  'first_seq'?: (number | string | Long);
  'events'?: (_sluice_v1_ReceiverEvent)[];
}

export interface ReceiverReport__Output {
  'job_id': (string);
  'stream_id': (number);
  'receiver_id': (string);
  'worker_id': (string);
  'first_seq': (number);
  'events': (_sluice_v1_ReceiverEvent__Output)[];
}
