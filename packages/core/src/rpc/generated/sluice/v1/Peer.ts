// Original file: proto/sluice/v1/sluice.proto


export interface Peer {
  'worker_id'?: (string);
  'address'?: (string);
}

export interface Peer__Output {
  'worker_id': (string);
  'address': (string);
}
