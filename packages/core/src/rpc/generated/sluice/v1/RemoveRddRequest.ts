// Original file: proto/sluice/v1/sluice.proto


export interface RemoveRddRequest {
  'job_id'?: (string);
  'rdd_id'?: (number);
}

export interface RemoveRddRequest__Output {
  'job_id': (string);
  'rdd_id': (number);
}
