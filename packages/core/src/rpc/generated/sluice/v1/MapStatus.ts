// Original file: proto/sluice/v1/sluice.proto


export interface MapStatus {
  'status'?: (Buffer | Uint8Array | string);
}

export interface MapStatus__Output {
  'status': (Buffer);
}
