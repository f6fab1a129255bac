// Original file: proto/sluice/v1/sluice.proto


export interface RemoveBlocksRequest {
  'block_ids'?: (string)[];
  'prefixes'?: (string)[];
}

export interface RemoveBlocksRequest__Output {
  'block_ids': (string)[];
  'prefixes': (string)[];
}
