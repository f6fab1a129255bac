// Original file: proto/sluice/v1/sluice.proto

import type { Peer as _sluice_v1_Peer, Peer__Output as _sluice_v1_Peer__Output } from '../../sluice/v1/Peer';
import type { WalPlace as _sluice_v1_WalPlace, WalPlace__Output as _sluice_v1_WalPlace__Output } from '../../sluice/v1/WalPlace';
import type { Long } from '@grpc/proto-loader';

export interface ReceivedBlockInfo {
  'block_id'?: (string);
  'num_records'?: (number | string | Long);
  'locations'?: (_sluice_v1_Peer)[];
  'wal'?: (_sluice_v1_WalPlace | null);
  'has_position'?: (boolean);
  'first_position'?: (number | string);
}

export interface ReceivedBlockInfo__Output {
  'block_id': (string);
  'num_records': (number);
  'locations': (_sluice_v1_Peer__Output)[];
  'wal': (_sluice_v1_WalPlace__Output | null);
  'has_position': (boolean);
  'first_position': (number);
}
