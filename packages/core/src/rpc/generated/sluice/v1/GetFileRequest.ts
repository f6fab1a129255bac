// Original file: proto/sluice/v1/sluice.proto


export interface GetFileRequest {
  'job_id'?: (string);
  'name'?: (string);
}

export interface GetFileRequest__Output {
  'job_id': (string);
  'name': (string);
}
