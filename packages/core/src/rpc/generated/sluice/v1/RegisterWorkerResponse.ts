// Original file: proto/sluice/v1/sluice.proto


export interface RegisterWorkerResponse {
  'heartbeat_interval_ms'?: (number);
  'driver_instance'?: (string);
  'sluice_version'?: (string);
  'protocol'?: (string);
  'live_jobs'?: (string)[];
}

export interface RegisterWorkerResponse__Output {
  'heartbeat_interval_ms': (number);
  'driver_instance': (string);
  'sluice_version': (string);
  'protocol': (string);
  'live_jobs': (string)[];
}
