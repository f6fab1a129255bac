// Original file: proto/sluice/v1/sluice.proto


export interface FetchBlocksRequest {
  'block_ids'?: (string)[];
}

export interface FetchBlocksRequest__Output {
  'block_ids': (string)[];
}
