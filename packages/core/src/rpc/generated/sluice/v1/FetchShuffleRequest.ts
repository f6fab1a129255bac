// Original file: proto/sluice/v1/sluice.proto


export interface FetchShuffleRequest {
  'job_id'?: (string);
  'shuffle_id'?: (number);
  'reduce_partition'?: (number);
  'map_partitions'?: (number)[];
  'request_id'?: (number);
  'reduce_count'?: (number);
}

export interface FetchShuffleRequest__Output {
  'job_id': (string);
  'shuffle_id': (number);
  'reduce_partition': (number);
  'map_partitions': (number)[];
  'request_id': (number);
  'reduce_count': (number);
}
