// Original file: proto/sluice/v1/sluice.proto


export interface RegisterWorkerResponse {
  'heartbeat_interval_ms'?: (number);
}

export interface RegisterWorkerResponse__Output {
  'heartbeat_interval_ms': (number);
}
