// Original file: proto/sluice/v1/sluice.proto


export interface StopJobRequest {
  'job_id'?: (string);
  'graceful'?: (boolean);
}

export interface StopJobRequest__Output {
  'job_id': (string);
  'graceful': (boolean);
}
