// Original file: proto/sluice/v1/sluice.proto

import type { Peer as _sluice_v1_Peer, Peer__Output as _sluice_v1_Peer__Output } from '../../sluice/v1/Peer';

export interface MigrateBlocksRequest {
  'peers'?: (_sluice_v1_Peer)[];
  'rdd_blocks'?: (boolean);
  'shuffle_blocks'?: (boolean);
}

export interface MigrateBlocksRequest__Output {
  'peers': (_sluice_v1_Peer__Output)[];
  'rdd_blocks': (boolean);
  'shuffle_blocks': (boolean);
}
