// Original file: proto/sluice/v1/sluice.proto


export interface ShuffleChunk {
  'data'?: (Buffer | Uint8Array | string);
  'missing'?: (boolean);
  'missing_map'?: (number);
  'request_id'?: (number);
  'last'?: (boolean);
  'error'?: (string);
}

export interface ShuffleChunk__Output {
  'data': (Buffer);
  'missing': (boolean);
  'missing_map': (number);
  'request_id': (number);
  'last': (boolean);
  'error': (string);
}
