// Original file: proto/sluice/v1/sluice.proto


export interface GetBlockRequest {
  'block_id'?: (string);
}

export interface GetBlockRequest__Output {
  'block_id': (string);
}
