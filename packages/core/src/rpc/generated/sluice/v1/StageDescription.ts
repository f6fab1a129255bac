// Original file: proto/sluice/v1/sluice.proto

import type { AddedFile as _sluice_v1_AddedFile, AddedFile__Output as _sluice_v1_AddedFile__Output } from '../../sluice/v1/AddedFile';

export interface StageDescription {
  'stage_key'?: (string);
  'job_id'?: (string);
  'bundle_sha256'?: (string);
  'stage_id'?: (number);
  'payload'?: (Buffer | Uint8Array | string);
  'shuffle_id'?: (number);
  'files'?: (_sluice_v1_AddedFile)[];
  'executor_env'?: ({[key: string]: string});
}

export interface StageDescription__Output {
  'stage_key': (string);
  'job_id': (string);
  'bundle_sha256': (string);
  'stage_id': (number);
  'payload': (Buffer);
  'shuffle_id': (number);
  'files': (_sluice_v1_AddedFile__Output)[];
  'executor_env': ({[key: string]: string});
}
