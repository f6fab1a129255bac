// Original file: proto/sluice/v1/sluice.proto


export interface FileChunk {
  'path'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  'start'?: (boolean);
  'directory'?: (boolean);
}

export interface FileChunk__Output {
  'path': (string);
  'data': (Buffer);
  'start': (boolean);
  'directory': (boolean);
}
