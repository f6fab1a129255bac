// Original file: proto/sluice/v1/sluice.proto


export interface StopJobResponse {
  'found'?: (boolean);
}

export interface StopJobResponse__Output {
  'found': (boolean);
}
