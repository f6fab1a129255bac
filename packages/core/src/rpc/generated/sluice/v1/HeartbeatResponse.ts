// Original file: proto/sluice/v1/sluice.proto


export interface HeartbeatResponse {
  'known'?: (boolean);
  'decommission'?: (boolean);
  'lost_peers'?: (string)[];
}

export interface HeartbeatResponse__Output {
  'known': (boolean);
  'decommission': (boolean);
  'lost_peers': (string)[];
}
