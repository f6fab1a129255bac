// Original file: proto/sluice/v1/sluice.proto


export interface StopJobResponse {
  'found'?: (boolean);
  'missing'?: (string);
}

export interface StopJobResponse__Output {
  'found': (boolean);
  'missing': (string);
}
