// Original file: proto/sluice/v1/sluice.proto


export interface BlockChunk {
  'block_id'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  'last'?: (boolean);
  'missing'?: (boolean);
  'end_of_block'?: (boolean);
}

export interface BlockChunk__Output {
  'block_id': (string);
  'data': (Buffer);
  'last': (boolean);
  'missing': (boolean);
  'end_of_block': (boolean);
}
