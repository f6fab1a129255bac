// Original file: proto/sluice/v1/sluice.proto


export interface DecommissionWorkerRequest {
  'worker_id'?: (string);
  'wait'?: (boolean);
}

export interface DecommissionWorkerRequest__Output {
  'worker_id': (string);
  'wait': (boolean);
}
