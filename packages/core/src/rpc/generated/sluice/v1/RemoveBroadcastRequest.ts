// Original file: proto/sluice/v1/sluice.proto


export interface RemoveBroadcastRequest {
  'job_id'?: (string);
  'broadcast_id'?: (number);
}

export interface RemoveBroadcastRequest__Output {
  'job_id': (string);
  'broadcast_id': (number);
}
