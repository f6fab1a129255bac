// Original file: proto/sluice/v1/sluice.proto

import type { Peer as _sluice_v1_Peer, Peer__Output as _sluice_v1_Peer__Output } from '../../sluice/v1/Peer';
import type { Long } from '@grpc/proto-loader';

export interface ReceivedBlockInfo {
  'block_id'?: (string);
  'num_records'?: (number | string | Long);
  'locations'?: (_sluice_v1_Peer)[];
}

export interface ReceivedBlockInfo__Output {
  'block_id': (string);
  'num_records': (number);
  'locations': (_sluice_v1_Peer__Output)[];
}
