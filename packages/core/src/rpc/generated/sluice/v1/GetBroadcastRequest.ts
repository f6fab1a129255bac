// Original file: proto/sluice/v1/sluice.proto


export interface GetBroadcastRequest {
  'job_id'?: (string);
  'broadcast_id'?: (number);
}

export interface GetBroadcastRequest__Output {
  'job_id': (string);
  'broadcast_id': (number);
}
