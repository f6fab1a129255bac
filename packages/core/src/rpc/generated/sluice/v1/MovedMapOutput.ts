// Original file: proto/sluice/v1/sluice.proto


export interface MovedMapOutput {
  'job_id'?: (string);
  'shuffle_id'?: (number);
  'map_partition'?: (number);
  'worker_id'?: (string);
}

export interface MovedMapOutput__Output {
  'job_id': (string);
  'shuffle_id': (number);
  'map_partition': (number);
  'worker_id': (string);
}
