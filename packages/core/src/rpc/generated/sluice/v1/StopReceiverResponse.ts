// Original file: proto/sluice/v1/sluice.proto


export interface StopReceiverResponse {
  'found'?: (boolean);
}

export interface StopReceiverResponse__Output {
  'found': (boolean);
}
