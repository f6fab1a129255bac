// Original file: proto/sluice/v1/sluice.proto


export interface RemoveRddResponse {
  'removed'?: (number);
}

export interface RemoveRddResponse__Output {
  'removed': (number);
}
