// Original file: proto/sluice/v1/sluice.proto


export interface Chunk {
  'data'?: (Buffer | Uint8Array | string);
}

export interface Chunk__Output {
  'data': (Buffer);
}
