// Original file: proto/sluice/v1/sluice.proto


export interface KillTaskResponse {
  'found'?: (boolean);
}

export interface KillTaskResponse__Output {
  'found': (boolean);
}
