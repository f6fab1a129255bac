// Original file: proto/sluice/v1/sluice.proto


export interface ListJobsRequest {
  'job_id'?: (string);
}

export interface ListJobsRequest__Output {
  'job_id': (string);
}
