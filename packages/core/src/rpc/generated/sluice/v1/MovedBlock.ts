// Original file: proto/sluice/v1/sluice.proto


export interface MovedBlock {
  'block_id'?: (string);
  'worker_id'?: (string);
}

export interface MovedBlock__Output {
  'block_id': (string);
  'worker_id': (string);
}
