// Original file: proto/sluice/v1/sluice.proto


export interface RegisterWorkerResponse {
  'heartbeat_interval_ms'?: (number);
  'driver_instance'?: (string);
}

export interface RegisterWorkerResponse__Output {
  'heartbeat_interval_ms': (number);
  'driver_instance': (string);
}
