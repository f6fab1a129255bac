// Original file: proto/sluice/v1/sluice.proto


export interface RemoveBroadcastResponse {
  'removed'?: (number);
}

export interface RemoveBroadcastResponse__Output {
  'removed': (number);
}
