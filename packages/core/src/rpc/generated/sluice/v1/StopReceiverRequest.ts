// Original file: proto/sluice/v1/sluice.proto


export interface StopReceiverRequest {
  'job_id'?: (string);
  'stream_id'?: (number);
  'graceful'?: (boolean);
}

export interface StopReceiverRequest__Output {
  'job_id': (string);
  'stream_id': (number);
  'graceful': (boolean);
}
