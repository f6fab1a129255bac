// Original file: proto/sluice/v1/sluice.proto


export interface RegisterWorkerRequest {
  'worker_id'?: (string);
  'host'?: (string);
  'port'?: (number);
  'cores'?: (number);
}

export interface RegisterWorkerRequest__Output {
  'worker_id': (string);
  'host': (string);
  'port': (number);
  'cores': (number);
}
