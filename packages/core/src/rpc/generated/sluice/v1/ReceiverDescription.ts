// Original file: proto/sluice/v1/sluice.proto

import type { Peer as _sluice_v1_Peer, Peer__Output as _sluice_v1_Peer__Output } from '../../sluice/v1/Peer';
import type { AddedFile as _sluice_v1_AddedFile, AddedFile__Output as _sluice_v1_AddedFile__Output } from '../../sluice/v1/AddedFile';
import type { Long } from '@grpc/proto-loader';

export interface ReceiverDescription {
  'job_id'?: (string);
  'bundle_sha256'?: (string);
  'stream_id'?: (number);
  'receiver'?: (Buffer | Uint8Array | string);
  'block_interval_ms'?: (number);
  'peers'?: (_sluice_v1_Peer)[];
  'name'?: (string);
  'receiver_id'?: (string);
  'wal_dir'?: (string);
  'wal_rolling_interval_ms'?: (number);
  'wal_max_segment_bytes'?: (number | string | Long);
  'max_buffered_records'?: (number);
  'writer'?: (string);
  'max_rate'?: (number | string);
  'initial_rate'?: (number | string);
  'files'?: (_sluice_v1_AddedFile)[];
  'executor_env'?: ({[key: string]: string});
}

export interface ReceiverDescription__Output {
  'job_id': (string);
  'bundle_sha256': (string);
  'stream_id': (number);
  'receiver': (Buffer);
  'block_interval_ms': (number);
  'peers': (_sluice_v1_Peer__Output)[];
  'name': (string);
  'receiver_id': (string);
  'wal_dir': (string);
  'wal_rolling_interval_ms': (number);
  'wal_max_segment_bytes': (number);
  'max_buffered_records': (number);
  'writer': (string);
  'max_rate': (number);
  'initial_rate': (number);
  'files': (_sluice_v1_AddedFile__Output)[];
  'executor_env': ({[key: string]: string});
}
