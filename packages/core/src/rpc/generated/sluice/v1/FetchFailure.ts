// Original file: proto/sluice/v1/sluice.proto


export interface FetchFailure {
  'shuffle_id'?: (number);
  'map_partition'?: (number);
  'worker_id'?: (string);
  'message'?: (string);
}

export interface FetchFailure__Output {
  'shuffle_id': (number);
  'map_partition': (number);
  'worker_id': (string);
  'message': (string);
}
