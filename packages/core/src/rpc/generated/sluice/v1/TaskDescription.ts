// Original file: proto/sluice/v1/sluice.proto


export interface TaskDescription {
  'task_id'?: (string);
  'job_id'?: (string);
  'bundle_sha256'?: (string);
  'stage_id'?: (number);
  'partition'?: (number);
  'attempt'?: (number);
  'payload'?: (Buffer | Uint8Array | string);
  'shuffle_id'?: (number);
}

export interface TaskDescription__Output {
  'task_id': (string);
  'job_id': (string);
  'bundle_sha256': (string);
  'stage_id': (number);
  'partition': (number);
  'attempt': (number);
  'payload': (Buffer);
  'shuffle_id': (number);
}
