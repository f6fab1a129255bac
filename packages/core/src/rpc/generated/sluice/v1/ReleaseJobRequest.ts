// Original file: proto/sluice/v1/sluice.proto


export interface ReleaseJobRequest {
  'job_id'?: (string);
}

export interface ReleaseJobRequest__Output {
  'job_id': (string);
}
