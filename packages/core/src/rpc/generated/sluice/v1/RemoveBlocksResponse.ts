// Original file: proto/sluice/v1/sluice.proto


export interface RemoveBlocksResponse {
  'removed'?: (number);
}

export interface RemoveBlocksResponse__Output {
  'removed': (number);
}
