// Original file: proto/sluice/v1/sluice.proto


export interface StageDescription {
  'stage_key'?: (string);
  'job_id'?: (string);
  'bundle_sha256'?: (string);
  'stage_id'?: (number);
  'payload'?: (Buffer | Uint8Array | string);
  'shuffle_id'?: (number);
}

export interface StageDescription__Output {
  'stage_key': (string);
  'job_id': (string);
  'bundle_sha256': (string);
  'stage_id': (number);
  'payload': (Buffer);
  'shuffle_id': (number);
}
